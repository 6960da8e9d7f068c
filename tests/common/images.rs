//! Reference images for the tests: the first bytes of a PNG, all a header reader (the
//! simulator's, sora-batch's validation) looks at.

/// A PNG header of `width` x `height`, as the simulator's image host serves it.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    sora_batch::sim::png_header(width, height)
}
