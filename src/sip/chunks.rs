//! Where a datagram's SIP message keeps its bytes: copied out of the capture's
//! buffer into a chunk shared with the messages decoded before it on the same
//! thread, and the chunk used again once all of them are dropped.
//!
//! Why: a SIP-heavy capture makes a message per frame on the decoding threads and
//! drops it on the model thread. With one allocation per message, the allocator
//! kept taking fresh pages on the decoding threads while the model thread freed
//! the old ones, which went back to the system and had to be zeroed by the kernel
//! again: the allocator's slow path and `clear_page` were a sixth of the run
//! (issue #16). Here a thread copies into its current chunk; a full chunk waits in
//! a queue until the messages in it are gone (the model thread drops them a few
//! batches later) and is then filled again, so the same pages serve the whole run.
//!
//! What it leaves to others: messages kept past the pipeline (`flow`, `show`)
//! call [`crate::sip::SipMessage::own_bytes`] so that one kept message does not
//! hold a chunk; messages put together from TCP segments or fragments own their
//! buffers already.

use bytes::{Bytes, BytesMut};
use std::cell::RefCell;
use std::collections::VecDeque;

/// Bytes per chunk: about a hundred typical messages, so a chunk is taken once per
/// hundred messages; small enough that a message kept by mistake holds little.
const CHUNK: usize = 64 << 10;

/// Full chunks a thread keeps waiting for reuse at most (8 MiB). The messages in
/// flight between the decoding threads and the model are bounded by the queues
/// (`pipeline::batch`), tens of megabytes in all; past this many, the oldest chunk
/// is let go and freed when its last message is.
const MAX_WAITING: usize = 128;

/// Messages this large get an allocation of their own.
const OWN_ALLOCATION_FROM: usize = CHUNK / 4;

#[derive(Default)]
struct Chunks {
    current: BytesMut,
    /// Full chunks, oldest first; each is reused once no message points into it.
    waiting: VecDeque<BytesMut>,
}

impl Chunks {
    fn copy(&mut self, bytes: &[u8]) -> Bytes {
        if self.current.capacity() - self.current.len() < bytes.len() {
            self.next_chunk();
        }
        self.current.extend_from_slice(bytes);
        self.current.split().freeze()
    }

    fn next_chunk(&mut self) {
        let full = std::mem::take(&mut self.current);
        if full.capacity() > 0 {
            self.waiting.push_back(full);
        }
        // The oldest is the likeliest to be free: its messages were sent first.
        if let Some(oldest) = self.waiting.front_mut() {
            if oldest.try_reclaim(CHUNK) {
                if let Some(c) = self.waiting.pop_front() {
                    self.current = c;
                    return;
                }
            }
        }
        if self.waiting.len() > MAX_WAITING {
            self.waiting.pop_front();
        }
        self.current = BytesMut::with_capacity(CHUNK);
    }
}

thread_local! {
    static CHUNKS: RefCell<Chunks> = RefCell::new(Chunks::default());
}

/// `bytes` copied into this thread's current chunk (or, if large, on their own).
pub fn copy(bytes: &[u8]) -> Bytes {
    if bytes.len() >= OWN_ALLOCATION_FROM {
        return Bytes::copy_from_slice(bytes);
    }
    CHUNKS
        .try_with(|c| c.borrow_mut().copy(bytes))
        // Only while the thread is being torn down.
        .unwrap_or_else(|_| Bytes::copy_from_slice(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_equal_and_share_a_chunk() {
        let mut c = Chunks::default();
        let a = c.copy(b"INVITE sip:a@x SIP/2.0\r\n\r\n");
        let b = c.copy(b"SIP/2.0 200 OK\r\n\r\n");
        assert_eq!(&a[..], b"INVITE sip:a@x SIP/2.0\r\n\r\n");
        assert_eq!(&b[..], b"SIP/2.0 200 OK\r\n\r\n");
        // Side by side in one allocation.
        assert_eq!(a.as_ptr() as usize + a.len(), b.as_ptr() as usize);
    }

    #[test]
    fn a_chunk_is_filled_again_once_its_messages_are_dropped() {
        let mut c = Chunks::default();
        let msg = vec![b'x'; 1000];
        let first = c.copy(&msg);
        let start = first.as_ptr();
        let n = CHUNK / msg.len();
        let mut held: Vec<Bytes> = (1..n).map(|_| c.copy(&msg)).collect();
        held.push(first);
        // The next copy does not fit: a second chunk, the first one waits.
        let second = c.copy(&msg);
        assert_ne!(second.as_ptr(), start);
        // Still pointed into: not reused.
        let n2 = CHUNK / msg.len();
        let mut more: Vec<Bytes> = (1..n2).map(|_| c.copy(&msg)).collect();
        more.push(second);
        let third = c.copy(&msg);
        assert!(!std::ptr::eq(third.as_ptr(), start));
        // Its messages gone, the first chunk is taken again when the current one fills.
        drop(held);
        let mut rest: Vec<Bytes> = (1..n2).map(|_| c.copy(&msg)).collect();
        rest.push(third);
        let again = c.copy(&msg);
        assert_eq!(again.as_ptr(), start);
        assert_eq!(&again[..], &msg[..]);
    }

    #[test]
    fn large_messages_get_their_own_allocation() {
        let big = vec![b'y'; OWN_ALLOCATION_FROM];
        let a = copy(&big);
        assert_eq!(&a[..], &big[..]);
    }
}
