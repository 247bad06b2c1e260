//! Small machines: the two profiles' rules on a handful of frames, so that running out of
//! memory and out of process slots is a few operations away.

use kernel::Profile;
use paging::Format;
use phys::MemoryLayout;

/// An `mtl458`-like machine (single-level 1,024-entry tables, 4 MiB processes, kill on
/// illegal access, eager fork) with `kernel_frames` table frames first, then `user_frames`
/// user frames, and at most `max_processes` alive.
pub fn small_mtl458(user_frames: u32, kernel_frames: u32, max_processes: usize) -> Profile {
    let memory = MemoryLayout {
        frames: kernel_frames + user_frames,
        kernel: 0..kernel_frames,
        user: kernel_frames..kernel_frames + user_frames,
    };
    Profile {
        name: "mtl458-small",
        memory,
        format: Format::MTL458,
        max_processes: Some(max_processes),
        ..Profile::MTL458
    }
}

/// An `ajou`-like machine (16x16 tables, copy-on-write fork, refused accesses, process 0 at
/// boot) with `user_frames` user frames numbered from 0 and `kernel_frames` table frames after
/// them.
pub fn small_ajou(user_frames: u32, kernel_frames: u32) -> Profile {
    let memory = MemoryLayout {
        frames: user_frames + kernel_frames,
        kernel: user_frames..user_frames + kernel_frames,
        user: 0..user_frames,
    };
    Profile { name: "ajou-small", memory, format: Format::AJOU, ..Profile::AJOU }
}

/// The 64-user-frame `mtl458`-like machine: 8 table frames, at most 6 processes.
pub fn mtl458_64() -> Profile {
    small_mtl458(64, 8, 6)
}

/// The 16-user-frame `ajou`-like machine with 12 table frames.
pub fn ajou_16() -> Profile {
    small_ajou(16, 12)
}
