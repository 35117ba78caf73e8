//! A vector that keeps its first `N` elements in place and moves to the heap only beyond
//! them: the parser's stacks (open entities, open boundaries, boundary octets) are small in
//! almost every message, so a parse needs no allocation for them.

use core::ops::{Deref, DerefMut};

/// Up to `N` elements inline, all of them on the heap once there are more.
#[derive(Debug, Clone)]
pub(crate) struct InlineVec<T: Copy + Default, const N: usize> {
    inline: [T; N],
    len: usize,
    heap: Vec<T>,
    spilled: bool,
}

impl<T: Copy + Default, const N: usize> Default for InlineVec<T, N> {
    fn default() -> Self {
        Self { inline: [T::default(); N], len: 0, heap: Vec::new(), spilled: false }
    }
}

impl<T: Copy + Default, const N: usize> InlineVec<T, N> {
    /// Appends one element.
    #[inline]
    pub(crate) fn push(&mut self, value: T) {
        if self.spilled {
            self.heap.push(value);
        } else if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = value;
            self.len += 1;
        } else {
            self.spill(1);
            self.heap.push(value);
        }
    }

    /// Appends the elements of `values`.
    pub(crate) fn extend_from_slice(&mut self, values: &[T]) {
        if !self.spilled
            && let Some(dst) = self.inline.get_mut(self.len..self.len + values.len())
        {
            dst.copy_from_slice(values);
            self.len += values.len();
            return;
        }
        self.spill(values.len());
        self.heap.extend_from_slice(values);
    }

    /// Removes and returns the last element.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.spilled {
            return self.heap.pop();
        }
        self.len = self.len.checked_sub(1)?;
        self.inline.get(self.len).copied()
    }

    /// Keeps the first `len` elements.
    #[inline]
    pub(crate) fn truncate(&mut self, len: usize) {
        if self.spilled {
            self.heap.truncate(len);
        } else {
            self.len = self.len.min(len);
        }
    }

    /// The number of elements.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        if self.spilled { self.heap.len() } else { self.len }
    }

    /// True when there is no element.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The last element (without building the slice).
    #[inline]
    pub(crate) fn last(&self) -> Option<&T> {
        if self.spilled { self.heap.last() } else { self.inline.get(self.len.checked_sub(1)?) }
    }

    /// The last element, mutable.
    #[inline]
    pub(crate) fn last_mut(&mut self) -> Option<&mut T> {
        if self.spilled {
            self.heap.last_mut()
        } else {
            self.inline.get_mut(self.len.checked_sub(1)?)
        }
    }

    /// The element at `i`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        if self.spilled {
            self.heap.get(i)
        } else if i < self.len {
            self.inline.get(i)
        } else {
            None
        }
    }

    /// The element at `i`, mutable.
    #[inline]
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if self.spilled {
            self.heap.get_mut(i)
        } else if i < self.len {
            self.inline.get_mut(i)
        } else {
            None
        }
    }

    fn spill(&mut self, more: usize) {
        if !self.spilled {
            self.heap.reserve(self.len + more.max(N));
            self.heap.extend_from_slice(self.inline.get(..self.len).unwrap_or_default());
            self.spilled = true;
        }
    }
}

impl<T: Copy + Default, const N: usize> Deref for InlineVec<T, N> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        if self.spilled { &self.heap } else { self.inline.get(..self.len).unwrap_or_default() }
    }
}

impl<T: Copy + Default, const N: usize> DerefMut for InlineVec<T, N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        if self.spilled {
            &mut self.heap
        } else {
            self.inline.get_mut(..self.len).unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::InlineVec;

    proptest::proptest! {
        #[test]
        fn behaves_as_a_vec(ops in proptest::collection::vec((0u8..4, proptest::prelude::any::<u8>()), 0..64)) {
            let mut v: InlineVec<u8, 4> = InlineVec::default();
            let mut model: Vec<u8> = Vec::new();
            for (op, x) in ops {
                match op {
                    0 => { v.push(x); model.push(x); }
                    1 => proptest::prop_assert_eq!(v.pop(), model.pop()),
                    2 => { let s = [x, x.wrapping_add(1), x.wrapping_add(2)]; v.extend_from_slice(&s); model.extend_from_slice(&s); }
                    _ => { let n = usize::from(x % 8); v.truncate(n); model.truncate(n); }
                }
                proptest::prop_assert_eq!(&v[..], &model[..]);
            }
        }
    }
}
