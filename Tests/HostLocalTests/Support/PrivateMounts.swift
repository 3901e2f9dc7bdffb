import Glibc
import TestKit
import Testing

/// Mounts for tests that need a filesystem of their own (a tiny tmpfs to
/// fill, one to remount read-only) or a plugin run in a mount namespace of
/// its own (no /proc, another boot ID).
///
/// Only where `TestNode.isAvailable`: root, in the private network and mount
/// namespaces `scripts/test-in-netns.sh` makes, so no mount ever reaches the
/// machine's own.
enum PrivateMounts {
    /// A fresh tmpfs of `kilobytes` on `path` (made if missing).
    static func mountTmpfs(_ path: String, kilobytes: Int) {
        _ = mkdir(path, 0o755)
        let status = mount("tmpfs", path, "tmpfs", 0, "size=\(kilobytes)k,mode=0755")
        precondition(status == 0, "mount tmpfs on \(path): \(errno)")
    }

    /// Remounts the filesystem on `path` read-only or read-write.
    static func remount(_ path: String, readOnly: Bool) {
        let flags = UInt(MS_REMOUNT) | (readOnly ? UInt(MS_RDONLY) : 0)
        let status = mount(nil, path, nil, flags, nil)
        precondition(status == 0, "remount \(path): \(errno)")
    }

    static func unmount(_ path: String) {
        _ = umount2(path, Int32(MNT_DETACH))
    }

    /// Fills the filesystem holding `directory` with one file, `fill`.
    static func fill(_ directory: String) {
        let fd = open(directory + "/fill", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "create fill: \(errno)")
        let block = [UInt8](repeating: 0, count: 4096)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)
    }

    /// A wrapper (see `PluginCall.wrapper`) that runs the plugin in a mount
    /// namespace of its own after `script` (sh, run as root there).
    static func inOwnNamespace(after script: String) -> [String] {
        ["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script + " && exec \"$0\""]
    }
}
