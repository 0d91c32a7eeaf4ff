//! Keyset pagination over time-ordered (UUIDv7) ids.

use uuid::Uuid;

use crate::error::{DomainError, DomainResult};

/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Page size when the client does not say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;

/// Which slice of a list to return.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// How many items.
    pub first: u64,
    /// Return items after this id.
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Checks the requested size against the cap.
    pub fn new(first: Option<i32>, after: Option<Uuid>) -> DomainResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n >= 1 && (n as u64) <= MAX_PAGE_SIZE => n as u64,
            Some(_) => {
                return Err(DomainError::invalid(
                    "first",
                    format!("between 1 and {MAX_PAGE_SIZE}"),
                ));
            }
        };
        Ok(Self { first, after })
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items, in id order.
    pub items: Vec<T>,
    /// Whether more items follow the last one.
    pub has_next_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from `first + 1` fetched rows.
    pub fn from_overfetch(mut rows: Vec<T>, first: u64) -> Self {
        let has_next_page = rows.len() as u64 > first;
        rows.truncate(first as usize);
        Self {
            items: rows,
            has_next_page,
        }
    }
}
