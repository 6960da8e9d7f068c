use image::{ImageFormat, Rgb, Rgba, RgbaImage};

use super::*;

const FRAME: (u32, u32) = (1280, 720);
const RED: [u8; 3] = [220, 30, 40];
const BLACK: [u8; 3] = [0, 0, 0];

fn solid(width: u32, height: u32, colour: [u8; 3], format: ImageFormat) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, Rgb(colour)));
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn decoded(png: &[u8]) -> RgbImage {
    let image = image::load_from_memory_with_format(png, ImageFormat::Png).unwrap();
    image.into_rgb8()
}

/// Whether a pixel is `want`, give or take what scaling and JPEG do to a flat colour.
fn near(image: &RgbImage, (x, y): (u32, u32), want: [u8; 3]) -> bool {
    let got = image.get_pixel(x, y).0;
    got.iter().zip(want).all(|(&a, b)| a.abs_diff(b) <= 3)
}

#[test]
fn placement_fits_the_image_inside_the_frame_keeping_its_aspect_ratio_centred() {
    let square = placement((1024, 1024), FRAME);
    assert_eq!(
        square,
        Placement {
            width: 720,
            height: 720,
            left: 280,
            top: 0
        }
    );
    let exact = placement((1920, 1080), FRAME);
    assert_eq!(
        (exact.width, exact.height, exact.left, exact.top),
        (1280, 720, 0, 0)
    );
    let portrait = placement((720, 1280), FRAME);
    assert_eq!((portrait.width, portrait.height), (405, 720));
    assert_eq!((portrait.left, portrait.top), (437, 0));
    // Landscape into a portrait frame: bars above and below.
    let wide = placement((1920, 1080), (720, 1280));
    assert_eq!(
        (wide.width, wide.height, wide.left, wide.top),
        (720, 405, 0, 437)
    );
    // A sliver never rounds to nothing.
    let sliver = placement((20_000, 1), FRAME);
    assert_eq!((sliver.width, sliver.height), (1280, 1));
}

#[test]
fn a_square_png_becomes_720x720_centred_on_black_bars_in_a_1280x720_png() {
    let png = letterbox(&solid(1024, 1024, RED, ImageFormat::Png), FRAME).unwrap();
    assert_eq!(image::guess_format(&png).unwrap(), ImageFormat::Png);
    let out = decoded(&png);
    assert_eq!(out.dimensions(), FRAME);
    for bar in [(0, 0), (279, 360), (1000, 360), (1279, 719), (140, 700)] {
        assert!(
            near(&out, bar, BLACK),
            "{bar:?}: {:?}",
            out.get_pixel(bar.0, bar.1)
        );
    }
    for picture in [(281, 0), (640, 360), (998, 719), (500, 100)] {
        assert!(
            near(&out, picture, RED),
            "{picture:?}: {:?}",
            out.get_pixel(picture.0, picture.1)
        );
    }
}

#[test]
fn a_1920x1080_jpeg_is_scaled_exactly_to_the_frame_with_no_bars() {
    let green = [30, 200, 60];
    let out = decoded(&letterbox(&solid(1920, 1080, green, ImageFormat::Jpeg), FRAME).unwrap());
    assert_eq!(out.dimensions(), FRAME);
    for corner in [(0, 0), (1279, 0), (0, 719), (1279, 719), (640, 360)] {
        assert!(
            near(&out, corner, green),
            "{corner:?}: {:?}",
            out.get_pixel(corner.0, corner.1)
        );
    }
}

#[test]
fn a_portrait_webp_in_a_landscape_frame_gets_bars_left_and_right() {
    let blue = [20, 40, 230];
    let out = decoded(&letterbox(&solid(720, 1280, blue, ImageFormat::WebP), FRAME).unwrap());
    assert_eq!(out.dimensions(), FRAME);
    for bar in [(0, 360), (436, 0), (843, 719), (1279, 360)] {
        assert!(
            near(&out, bar, BLACK),
            "{bar:?}: {:?}",
            out.get_pixel(bar.0, bar.1)
        );
    }
    for picture in [(438, 0), (640, 360), (841, 719)] {
        assert!(
            near(&out, picture, blue),
            "{picture:?}: {:?}",
            out.get_pixel(picture.0, picture.1)
        );
    }
}

#[test]
fn a_transparent_part_shows_black_not_the_colour_hidden_under_it() {
    // Left half opaque red, right half fully transparent white.
    let image = RgbaImage::from_fn(200, 200, |x, _| match x < 100 {
        true => Rgba([RED[0], RED[1], RED[2], 255]),
        false => Rgba([255, 255, 255, 0]),
    });
    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(image)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    let out = decoded(&letterbox(png.get_ref(), FRAME).unwrap());
    assert!(near(&out, (400, 360), RED), "{:?}", out.get_pixel(400, 360));
    assert!(
        near(&out, (900, 360), BLACK),
        "{:?}",
        out.get_pixel(900, 360)
    );
}

/// A PNG whose header declares `width`x`height`, with one tiny compressed row: what a
/// decompression bomb looks like before it is inflated.
fn declared_png(width: u32, height: u32) -> Vec<u8> {
    let mut png = solid(1, 1, RED, ImageFormat::Png);
    // Signature (8), IHDR length and type (8), then width and height; the CRC after them.
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[test]
fn an_image_declaring_more_pixels_than_the_limit_is_refused_before_it_is_decoded() {
    let bomb = declared_png(60_000, 60_000);
    assert_eq!(
        letterbox(&bomb, FRAME),
        Err(LetterboxError::TooLarge {
            width: 60_000,
            height: 60_000
        })
    );
    let message = LetterboxError::TooLarge {
        width: 60_000,
        height: 60_000,
    }
    .to_string();
    assert!(
        message.contains("60000x60000") && message.contains("40000000"),
        "{message}"
    );
    // Just under the pixel count, the decoder's own bound on a side still holds.
    let long = declared_png(30_000, 1_000);
    assert!(
        matches!(letterbox(&long, FRAME), Err(LetterboxError::Undecodable(_))),
        "{:?}",
        letterbox(&long, FRAME)
    );
}

#[test]
fn bytes_that_are_no_image_are_undecodable() {
    let mut broken = solid(64, 64, RED, ImageFormat::Png);
    broken.truncate(60);
    assert!(matches!(
        letterbox(&broken, FRAME),
        Err(LetterboxError::Undecodable(_))
    ));
    assert!(matches!(
        letterbox(b"not an image at all", FRAME),
        Err(LetterboxError::Undecodable(_))
    ));
}
