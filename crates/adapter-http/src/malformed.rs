//! Requests that actix-http refuses before any middleware sees them (a header holding a NUL
//! byte, a head too large, a head that never arrives) are answered by it with an empty 4xx.
//! Every answer of this API is a problem document, so the connection's writes are watched
//! for such a response, and it is replaced by the problem of its status.
//!
//! The response is recognised by its head: a 4xx status without `x-request-id`, which the
//! envelope middleware puts on every response it makes. The API's bodies never hold an
//! empty line (CRLF CRLF), so a head cannot be mistaken for body bytes: JSON escapes line
//! breaks, SVG writes a carriage return as a character reference, and CSV rows
//! (CRLF-terminated) are never empty and write line breaks inside a field as bare LF.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::envelope;
use crate::problem::{PROBLEM_JSON, generic_problem};

/// A connection whose writes are watched for actix-http's own error responses.
#[derive(Debug)]
pub struct ProblemsOnly<T> {
    inner: T,
    /// Replacement bytes still to write, and how many were written.
    pending: Vec<u8>,
    written: usize,
}

impl<T> ProblemsOnly<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    // Every byte of every response passes here: a vectorised search, not a byte-by-byte one.
    memchr::memmem::find(haystack, needle)
}

/// Where an empty error response of actix-http's own starts in `bytes`, where its head
/// ends, and its status.
fn framework_error(bytes: &[u8]) -> Option<(usize, usize, StatusCode)> {
    let mut from = 0;
    while let Some(found) = find(&bytes[from..], b"HTTP/1.1 4") {
        let start = from + found;
        let head_end = find(&bytes[start..], b"\r\n\r\n")? + start + 4;
        let head = bytes[start..head_end].to_ascii_lowercase();
        let status = std::str::from_utf8(&head[9..12])
            .ok()
            .and_then(|code| code.parse::<u16>().ok())
            .and_then(|code| StatusCode::from_u16(code).ok());
        let empty = find(&head, b"\r\ncontent-length: 0\r\n").is_some();
        let ours = find(&head, b"\r\nx-request-id:").is_some();
        if let (Some(status), true, false) = (status, empty, ours) {
            return Some((start, head_end, status));
        }
        from = start + 1;
    }
    None
}

/// The problem response for `status`, as bytes on the wire; the connection then closes.
fn problem_response(status: StatusCode) -> Vec<u8> {
    let request_id = envelope::generate_id();
    let mut problem = generic_problem(status);
    if let Some(members) = problem.as_object_mut() {
        members.insert("requestId".into(), request_id.clone().into());
    }
    let body = problem.to_string();
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nconnection: close\r\nx-request-id: {request_id}\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error"),
        body.len(),
    )
    .into_bytes()
}

impl<T: AsyncWrite + Unpin> ProblemsOnly<T> {
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let sent =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if sent == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += sent;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemsOnly<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemsOnly<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        match framework_error(buf) {
            // What comes before it goes out first, as it is.
            Some((start, _, _)) if start > 0 => {
                Pin::new(&mut this.inner).poll_write(cx, &buf[..start])
            }
            Some((_, head_end, status)) => {
                this.pending = problem_response(status);
                // The replacement is sent by this call or the next ones; the refused
                // response's head counts as written.
                let _ = this.poll_pending(cx)?;
                Poll::Ready(Ok(head_end))
            }
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_empty_error_responses_without_a_request_id_are_replaced() {
        let refused = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        assert_eq!(
            framework_error(refused),
            Some((0, refused.len(), StatusCode::BAD_REQUEST))
        );
        let ours = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nx-request-id: 1\r\n\r\n";
        assert_eq!(framework_error(ours), None);
        let ok = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(framework_error(ok), None);
        let mut pipelined =
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-request-id: 1\r\n\r\n{}".to_vec();
        pipelined.extend_from_slice(refused);
        assert_eq!(
            framework_error(&pipelined).map(|(start, _, status)| (start, status)),
            Some((pipelined.len() - refused.len(), StatusCode::BAD_REQUEST))
        );
    }

    #[test]
    fn the_replacement_is_a_problem_document() {
        let bytes = problem_response(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"], 431);
        assert!(problem["requestId"].is_string());
    }
}
