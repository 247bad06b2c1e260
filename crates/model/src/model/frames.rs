//! Frames as the model sees them: a user frame's map count and bytes, and a pool's free frames
//! handed out lowest first.

use std::collections::BTreeSet;

use kernel::PAGE_SIZE;

use super::FrameBytes;

/// One allocated user frame: how many pages map it and what it holds.
#[derive(Debug, Clone)]
pub(super) struct Frame {
    pub(super) refs: u32,
    /// `None` while the frame is all zero: most frames never get a non-zero byte, and a real
    /// 32,768-frame machine would otherwise cost 128 MiB per model.
    pub(super) bytes: Option<Box<FrameBytes>>,
    /// Demand paging: the swap slot whose bytes it holds unmodified since it was read back
    /// (the swap cache), if any.
    pub(super) link: Option<u32>,
}

impl Frame {
    pub(super) fn fresh() -> Self {
        Frame { refs: 1, bytes: None, link: None }
    }

    pub(super) fn bytes_mut(&mut self) -> &mut FrameBytes {
        self.bytes.get_or_insert_with(|| Box::new([0; PAGE_SIZE]))
    }
}

/// A pool's free frames: every frame from `next` to `end` (never handed out), and `freed`
/// (handed out and given back, all below `next`). A set of every free frame would do, but
/// building one of the 130,944-frame `ajou` table pool for each run of the fuzz target cost
/// more than the run.
#[derive(Debug, Clone)]
pub(super) struct FreeFrames {
    freed: BTreeSet<u32>,
    next: u32,
    end: u32,
}

impl FreeFrames {
    pub(super) fn new(frames: core::ops::Range<u32>) -> Self {
        FreeFrames { freed: BTreeSet::new(), next: frames.start, end: frames.end.max(frames.start) }
    }

    pub(super) fn len(&self) -> usize {
        self.freed.len() + (self.end - self.next) as usize
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lowest free frame, now taken.
    pub(super) fn pop_first(&mut self) -> Option<u32> {
        self.freed.pop_first().or_else(|| {
            (self.next < self.end).then(|| {
                self.next += 1;
                self.next - 1
            })
        })
    }

    /// `frame` is free again (nothing changes if it was free).
    pub(super) fn insert(&mut self, frame: u32) {
        if frame < self.next {
            self.freed.insert(frame);
        }
    }
}

impl Extend<u32> for FreeFrames {
    fn extend<I: IntoIterator<Item = u32>>(&mut self, frames: I) {
        for f in frames {
            self.insert(f);
        }
    }
}
