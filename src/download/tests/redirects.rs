//! Redirects of a download, followed by hand between canned servers on two origins (two
//! loopback ports): the key goes to the hops on the API's origin and to no other, every
//! hop asks for the same range, and each hop is checked like the first link.

use super::canned::{answer, canned_server, plant_v1, serve};
use super::*;

async fn bound() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    (listener, origin)
}

fn found(location: &str) -> Vec<u8> {
    answer("302 Found", &format!("Location: {location}\r\n"), b"")
}

/// API → CDN → API → the rest of the video, with `auth` for the API's origin.
async fn chain_through_another_origin(auth: fn(url::Origin) -> Option<DownloadAuth>) {
    let video = small_mp4(9, 5_000);
    let (api, api_origin) = bound().await;
    let (cdn, cdn_origin) = bound().await;
    let rest = answer(
        "206 Partial Content",
        "ETag: \"v1\"\r\nContent-Range: bytes 1000-4999/5000\r\n",
        &video[1_000..],
    );
    let api_answers = vec![found(&format!("{cdn_origin}/cdn/v.mp4")), rest];
    let (url, api_requests) = serve(api, api_answers);
    let back = found(&format!("{api_origin}/videos/v/content?hop=2"));
    let (_, cdn_requests) = serve(cdn, vec![back]);
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    plant_v1(&dest, &video, 1_000);
    let mut source = source(&url, "t");
    source.auth = auth(url.origin());

    let fetched = download(&source, &dest).await.0.unwrap();
    assert_complete(&dest, &fetched, &video);
    assert_eq!(fetched.resumed_from, 1_000);
    let api_requests = api_requests.lock().unwrap().clone();
    let cdn_requests = cdn_requests.lock().unwrap().clone();
    assert_eq!((api_requests.len(), cdn_requests.len()), (2, 1));
    for request in api_requests.iter().chain(&cdn_requests) {
        assert!(
            request.contains("range: bytes=1000-") && request.contains("if-range: \"v1\""),
            "every hop asks for the rest: {request}"
        );
    }
    for request in &api_requests {
        assert!(request.contains("sk-very-secret"), "{request}");
    }
    let cdn = &cdn_requests[0];
    assert!(
        !cdn.contains("sk-very-secret")
            && !cdn.contains("authorization")
            && !cdn.contains("api-key"),
        "the other origin got the key: {cdn}"
    );
}

#[tokio::test]
async fn a_bearer_key_goes_only_to_the_hops_on_the_apis_origin() {
    chain_through_another_origin(|origin| DownloadAuth::bearer("sk-very-secret", origin)).await;
}

#[tokio::test]
async fn an_api_key_header_goes_only_to_the_hops_on_the_apis_origin() {
    chain_through_another_origin(|origin| {
        let name = reqwest::header::HeaderName::from_static("api-key");
        DownloadAuth::header(name, "sk-very-secret", origin)
    })
    .await;
}

#[tokio::test]
async fn a_redirect_from_a_public_link_to_a_private_address_is_refused() {
    // The public host is played by a proxy (so nothing leaves this machine); it redirects
    // to a loopback server, which must never be asked.
    let (private, private_requests) = canned_server(vec![answer("200 OK", "", b"")]).await;
    let (proxy, proxy_requests) = canned_server(vec![found(private.as_str())]).await;
    let folder = tempfile::tempdir().unwrap();
    let dest = folder.path().join("a.mp4");
    let mut public = source(&Url::parse("http://videos.example/v.mp4").unwrap(), "t");
    public.local_links = false;
    public.auth = DownloadAuth::bearer("sk-very-secret", public.url.origin());

    let http = Http::through_proxy(&proxy);
    let result = download_once(&http, &public, &dest, &|_| {}, &|_| Ok(())).await;
    let err = result.unwrap_err();
    assert!(matches!(err, DownloadError::RefusedLink { .. }), "{err:?}");
    assert!(!err.retryable());
    assert!(err.to_string().contains("private network"), "{err}");
    assert_eq!(
        proxy_requests.lock().unwrap().len(),
        1,
        "the public link was asked"
    );
    assert!(
        private_requests.lock().unwrap().is_empty(),
        "the private address was asked"
    );
    assert!(!dest.exists());
}
