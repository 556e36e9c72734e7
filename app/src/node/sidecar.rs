//! The attestation sidecar's client: one blocking HTTP/1.1 POST on loopback with a hard
//! deadline. ExtendVote must never wait longer than the deadline, whatever the sidecar does
//! (refuses, stalls, trickles bytes, answers garbage): every step checks the time left.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use deai_attest::wire::{AttestRequest, AttestResponse, ATTEST_PATH};

/// Largest answer read (256 results of ~100 bytes, with room to spare).
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// POSTs `req` to the sidecar at `addr` and reads its answer within `timeout`.
pub fn ask(
    addr: SocketAddr,
    timeout: Duration,
    req: &AttestRequest,
) -> Result<AttestResponse, String> {
    let deadline = Instant::now() + timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| "timed out".to_string())
    };
    let body = serde_json::to_vec(req).map_err(|e| e.to_string())?;
    let mut stream =
        TcpStream::connect_timeout(&addr, left()?).map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).ok();
    stream
        .set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "POST {ATTEST_PATH} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(&body))
        .map_err(|e| format!("send: {e}"))?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    loop {
        stream
            .set_read_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                if buf.len() + n > MAX_RESPONSE_BYTES {
                    return Err(format!("answer larger than {MAX_RESPONSE_BYTES} bytes"));
                }
                buf.extend_from_slice(&chunk[..n]);
                if complete(&buf) {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err("timed out".into())
            }
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    parse(&buf)
}

/// The header end and the Content-Length, once the headers are in.
fn head_of(buf: &[u8]) -> Option<(usize, Option<usize>)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let len = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| v.trim().parse().ok())?
    });
    Some((end, len))
}

fn complete(buf: &[u8]) -> bool {
    matches!(head_of(buf), Some((end, Some(len))) if buf.len() >= end + len)
}

fn parse(buf: &[u8]) -> Result<AttestResponse, String> {
    let (end, len) = head_of(buf).ok_or("no complete HTTP header")?;
    let status = std::str::from_utf8(&buf[..end])
        .ok()
        .and_then(|h| h.split_whitespace().nth(1))
        .unwrap_or("");
    if status != "200" {
        return Err(format!("HTTP status {status:?}"));
    }
    let body = match len {
        Some(len) => buf.get(end..end + len).ok_or("truncated body")?,
        None => &buf[end..],
    };
    serde_json::from_slice(body).map_err(|e| format!("invalid answer: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn req() -> AttestRequest {
        AttestRequest {
            chain_id: "c".into(),
            height: 3,
            jobs: vec![],
        }
    }

    fn serve_once(answer: &'static [u8], stall: bool) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = l.accept() {
                let mut b = [0u8; 4096];
                let _ = s.read(&mut b);
                let _ = s.write_all(answer);
                if stall {
                    std::thread::sleep(Duration::from_secs(3));
                }
            }
        });
        addr
    }

    #[test]
    fn reads_an_answer() {
        let addr = serve_once(
            b"HTTP/1.1 200 OK\r\ncontent-length: 45\r\n\r\n{\"results\":[{\"job_id\":1,\"result_hash\":\"ab\"}]}",
            false,
        );
        let r = ask(addr, Duration::from_secs(2), &req()).unwrap();
        assert_eq!(r.results.len(), 1);
        assert_eq!(r.results[0].job_id, 1);
    }

    #[test]
    fn a_stalled_sidecar_costs_only_the_timeout() {
        // Headers promise more than is sent; the read must give up at the deadline.
        let addr = serve_once(b"HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n{", true);
        assert!(ask(addr, Duration::from_millis(200), &req())
            .unwrap_err()
            .contains("timed out"));
    }

    #[test]
    fn errors_and_refusals_are_errors() {
        let addr = serve_once(b"HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n", false);
        assert!(ask(addr, Duration::from_secs(2), &req())
            .unwrap_err()
            .contains("500"));
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = l.local_addr().unwrap();
        drop(l);
        assert!(ask(closed, Duration::from_millis(200), &req()).is_err());
    }
}
