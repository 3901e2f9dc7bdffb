import CNISpec
import Glibc
import SystemSupport

/// Creates reservation files in the store directory, complete or not at
/// all, for one lock session of `DiskStore`.
///
/// A reservation file's content is written first and the file is then
/// hard-linked to the address's name; `linkat` fails with EEXIST when the
/// address is taken, the same atomic test as the reference's `O_EXCL`.
///
/// - Fast path: an unnamed file (`O_TMPFILE`) in the store directory,
///   linked through `/proc/self/fd`. A crash at any instant leaves nothing.
/// - Fallback, on a filesystem without unnamed files or without `/proc`:
///   `.index/tmp/.tmp-reservation`, linked, then removed. A crash can leave
///   that file behind; the next rebuild of the index removes it.
///
/// A file that cannot be written completely (a full disk) is removed at
/// once, so a failed ADD leaves no file of any kind. Errors name the
/// operation and the file that failed, an unnamed file by the name it was
/// to get: `write /var/lib/cni/networks/n/10.1.2.3: no space left on
/// device`, the reference's own wording.
final class ReservationWriter {
    /// `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`) and `AT_SYMLINK_FOLLOW`,
    /// which Swift's Glibc module does not import (they need _GNU_SOURCE).
    private static let openTemporaryFile: Int32 = 0o20000000 | O_DIRECTORY
    private static let atSymlinkFollow: Int32 = 0x400
    static let temporaryName = ".tmp-reservation"

    private let store: Int32
    private let storePath: String
    /// False once this filesystem (or a missing /proc) refused unnamed
    /// files, or when a test turned them off.
    private var unnamedFiles: Bool
    /// A written unnamed file not linked yet (its address was taken), kept
    /// for the next candidate address.
    private var pending: (file: FileDescriptor, content: [UInt8])? = nil
    /// `.index/tmp`, once opened, and what `.tmp-reservation` holds there.
    private var temporaryDirectory: FileDescriptor? = nil
    private var temporaryContent: [UInt8]? = nil

    init(store: Int32, storePath: String, unnamedFiles: Bool) {
        self.store = store
        self.storePath = storePath
        self.unnamedFiles = unnamedFiles
    }

    deinit { finish() }

    /// Creates the reservation file `name` holding `content`. Returns false
    /// when `name` exists (the address is taken).
    func create(_ name: String, holding content: [UInt8]) throws(CNIError) -> Bool {
        if unnamedFiles, let linked = try linkUnnamed(name, content) { return linked }
        return try linkNamed(name, content)
    }

    /// Drops what a session left: the pending unnamed file (closing it
    /// frees it) and `.tmp-reservation`.
    func finish() {
        pending = nil
        if temporaryContent != nil, let temporaryDirectory {
            _ = unlinkat(temporaryDirectory.raw, Self.temporaryName, 0)
        }
        temporaryContent = nil
    }

    // MARK: Unnamed files

    /// true/false as `create`; nil when unnamed files cannot be used here.
    private func linkUnnamed(_ name: String, _ content: [UInt8]) throws(CNIError) -> Bool? {
        let file: FileDescriptor
        if let pending, pending.content == content {
            file = pending.file
        } else {
            pending = nil
            guard let opened = FileDescriptor.open(in: store, ".", O_WRONLY | Self.openTemporaryFile, mode: 0o600) else {
                let code = errno
                // No O_TMPFILE on this filesystem (older kernels say EISDIR).
                if code == EOPNOTSUPP || code == EISDIR || code == EINVAL {
                    unnamedFiles = false
                    return nil
                }
                throw ioError("open", path(name), code)
            }
            let status = StandardIO.writeAll(fd: opened.raw, content)
            guard status == 0 else { throw ioError("write", path(name), status) }
            file = opened
            pending = (opened, content)
        }
        if linkat(AT_FDCWD, "/proc/self/fd/\(file.raw)", store, name, Self.atSymlinkFollow) == 0 {
            pending = nil
            return true
        }
        let code = errno
        if code == EEXIST { return false }
        pending = nil
        // The store itself refuses: a real error, not one to work around.
        if code == ENOSPC || code == EDQUOT || code == EROFS || code == EIO || code == EMLINK {
            throw ioError("link", path(name), code)
        }
        // No /proc, or linking unnamed files is refused here: fall back.
        unnamedFiles = false
        return nil
    }

    // MARK: The named fallback

    private func linkNamed(_ name: String, _ content: [UInt8]) throws(CNIError) -> Bool {
        let directory = try temporaryDirectoryDescriptor()
        if temporaryContent != content {
            temporaryContent = nil
            if let failure = createFile(in: directory.raw, Self.temporaryName, content) {
                throw failure.error(at: temporaryPath)
            }
            temporaryContent = content
        }
        guard linkat(directory.raw, Self.temporaryName, store, name, 0) == 0 else {
            let code = errno
            if code == EEXIST { return false }
            finish()
            throw ioError("link", path(name), code)
        }
        finish()
        return true
    }

    /// `.index/tmp`, created and opened on first use; a symlink or file in
    /// its place is replaced. Neither component is followed if a symlink.
    private func temporaryDirectoryDescriptor() throws(CNIError) -> FileDescriptor {
        if let temporaryDirectory { return temporaryDirectory }
        let flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW
        var index = FileDescriptor.open(in: store, StoreIndex.directoryName, flags)
        if index == nil && errno == ENOENT {
            _ = mkdirat(store, StoreIndex.directoryName, 0o700)
            index = FileDescriptor.open(in: store, StoreIndex.directoryName, flags)
        }
        guard let index else { throw ioError("open", path(StoreIndex.directoryName), errno) }
        let name = StoreIndex.temporaryDirectoryName
        var opened = FileDescriptor.open(in: index.raw, name, flags)
        if opened == nil && (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) {
            removeEntry(in: index.raw, name)
            _ = mkdirat(index.raw, name, 0o700)
            opened = FileDescriptor.open(in: index.raw, name, flags)
        }
        guard let opened else { throw ioError("open", path(StoreIndex.directoryName + "/" + name), errno) }
        temporaryDirectory = opened
        return opened
    }

    private var temporaryPath: String {
        path(StoreIndex.directoryName + "/" + StoreIndex.temporaryDirectoryName + "/" + Self.temporaryName)
    }

    private func path(_ name: String) -> String { storePath + "/" + name }
}
