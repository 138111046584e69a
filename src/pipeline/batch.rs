//! Batches of items between threads, bounded in bytes as well as in items.
//!
//! Items travel from the decoding thread to the model thread in batches, a few
//! batches queued (`summary::MODEL_QUEUE`). Counted in items alone (4,096 a batch, 16 queued), a stream
//! of 15 MB messages queued 5 GB; with a byte bound too, a queue holds at most
//! its batches times [`BATCH_BYTES`] (plus one item, which
//! `--limit sip.message_bytes` bounds).

use crate::reassembly::Item;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Items per batch at most.
pub const BATCH_ITEMS: usize = 4096;
/// Bytes (message bytes, roughly what an item holds on the heap) per batch at most.
pub const BATCH_BYTES: usize = 4 << 20;

/// What an item holds besides its fixed size: a message's bytes.
pub fn item_bytes(item: &Item) -> usize {
    match item {
        Item::Sip(m) => m.raw().len() + std::mem::size_of::<crate::sip::SipMessage>(),
        Item::Malformed(_) | Item::Icmp(_) | Item::Rtp(_) | Item::Rtcp(_) => 0,
    }
}

/// The emptied vectors of batches, sent back from the thread that drains them to the
/// thread that fills them. A vector allocated afresh per batch and freed on another
/// thread cost a SIP-heavy run a fifth of its producing threads' time: every batch
/// grew a new buffer by doubling, into pages the allocator had just returned to the
/// system and the kernel had to zero again (issue #16, `clear_page` in the profile).
pub fn recycling<T>(spare: usize) -> (GiveBack<T>, Reuse<T>) {
    let (tx, rx) = sync_channel(spare);
    (GiveBack { tx }, Reuse { rx })
}

/// The draining side of [`recycling`].
pub struct GiveBack<T> {
    tx: SyncSender<Vec<T>>,
}

impl<T> GiveBack<T> {
    /// Hands an emptied vector back; dropped if enough are spare already, or if the
    /// filling side is gone.
    pub fn give(&self, mut v: Vec<T>) {
        v.clear();
        let _ = self.tx.try_send(v);
    }
}

/// The filling side of [`recycling`].
pub struct Reuse<T> {
    rx: Receiver<Vec<T>>,
}

impl<T> Reuse<T> {
    /// An empty vector: one given back if any is waiting, else a new one of `capacity`.
    pub fn take(&self, capacity: usize) -> Vec<T> {
        self.rx
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(capacity))
    }
}

/// Collects items into batches of at most [`BATCH_ITEMS`] items and, past one
/// item, [`BATCH_BYTES`] bytes.
#[derive(Default)]
pub struct ItemBatcher {
    items: Vec<Item>,
    bytes: usize,
    reuse: Option<Reuse<Item>>,
}

impl ItemBatcher {
    pub fn new() -> Self {
        Self::default()
    }

    /// A batcher that fills the vectors the consumer gives back (see [`recycling`]).
    pub fn reusing(reuse: Reuse<Item>) -> Self {
        ItemBatcher {
            items: reuse.take(BATCH_ITEMS),
            bytes: 0,
            reuse: Some(reuse),
        }
    }

    /// Adds an item; returns a full batch when this one filled it.
    pub fn push(&mut self, item: Item) -> Option<Vec<Item>> {
        self.bytes += item_bytes(&item) + std::mem::size_of::<Item>();
        self.items.push(item);
        (self.items.len() >= BATCH_ITEMS || self.bytes >= BATCH_BYTES).then(|| self.take())
    }

    /// What is left, if anything.
    pub fn finish(mut self) -> Option<Vec<Item>> {
        (!self.items.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> Vec<Item> {
        self.bytes = 0;
        let next = self
            .reuse
            .as_ref()
            .map_or_else(Vec::new, |r| r.take(BATCH_ITEMS));
        std::mem::replace(&mut self.items, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::scan::{scan, Mode};
    use crate::sip::{Carriage, Origin, SipMessage, Transport};

    fn message(body: usize) -> Item {
        let mut raw =
            format!("MESSAGE sip:a@x SIP/2.0\r\nContent-Length: {body}\r\n\r\n").into_bytes();
        raw.resize(raw.len() + body, b'x');
        let head = scan(&raw, Mode::Datagram).unwrap();
        let a = "10.0.0.1:5060".parse().unwrap();
        Item::Sip(Box::new(SipMessage::new(
            (
                0,
                a,
                a,
                Transport::Tcp,
                Origin::default(),
                Carriage::default(),
            ),
            raw.into(),
            head,
        )))
    }

    /// Regression (#17): batches were counted in items only, so big messages
    /// made big batches. A batch now closes once it holds 4 MiB.
    #[test]
    fn a_batch_of_big_messages_closes_at_its_byte_bound() {
        let mut b = ItemBatcher::new();
        let mut sizes = vec![];
        let mut n = 0;
        for _ in 0..20 {
            if let Some(batch) = b.push(message(1 << 20)) {
                sizes.push(batch.len());
                n += batch.len();
            }
        }
        n += b.finish().map_or(0, |r| r.len());
        assert_eq!(n, 20);
        assert!(
            sizes.iter().all(|&s| s == 4),
            "batches of 1 MiB messages: {sizes:?}"
        );
    }

    #[test]
    fn vectors_given_back_are_filled_again() {
        let (give, reuse) = recycling(2);
        let mut b = ItemBatcher::reusing(reuse);
        let first = (0..BATCH_ITEMS).find_map(|_| b.push(message(0))).unwrap();
        let ptr = first.as_ptr();
        give.give(first);
        // The batcher took its next vector before this one came back; the one after is it.
        let second = (0..BATCH_ITEMS).find_map(|_| b.push(message(0))).unwrap();
        assert_ne!(second.as_ptr(), ptr);
        let third = (0..BATCH_ITEMS).find_map(|_| b.push(message(0))).unwrap();
        assert_eq!(third.as_ptr(), ptr);
        assert_eq!(third.len(), BATCH_ITEMS);
    }

    #[test]
    fn small_items_batch_by_count() {
        let mut b = ItemBatcher::new();
        let full = (0..BATCH_ITEMS).filter_map(|_| b.push(message(0))).count();
        assert_eq!(full, 1);
        assert!(b.finish().is_none());
    }
}
