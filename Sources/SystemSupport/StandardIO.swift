import Glibc

/// Reading stdin and writing whole buffers to file descriptors, with the
/// retries on EINTR and short writes that raw syscalls need.
public enum StandardIO {
    /// The most stdin we accept; a config is a few kilobytes.
    public static let maximumInputSize = 16 << 20

    public enum ReadError: Error { case tooLarge, failed(Int32) }

    /// Reads `fd` to end of file, failing beyond `limit` bytes.
    public static func readAll(fd: Int32, limit: Int = maximumInputSize) throws(ReadError) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .failed(errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: chunk[0..<count])
            if data.count > limit { throw .tooLarge }
        }
    }

    /// Writes all of `bytes` to `fd` (EINTR retried); returns 0, or the
    /// errno of the write that failed. Callers writing to stdout or stderr
    /// ignore it: a closed stream leaves nothing better to do.
    @discardableResult
    public static func writeAll(fd: Int32, _ bytes: [UInt8]) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += written
        }
        return 0
    }

    @discardableResult
    public static func writeAll(fd: Int32, _ text: String) -> Int32 {
        writeAll(fd: fd, Array(text.utf8))
    }

    /// The text of an errno value as Go prints it (and so the reference's
    /// messages read): glibc's `strerror` with a lower-case first letter
    /// ("no such file or directory"), acronyms such as "I/O" kept.
    public static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        let message = String(cString: text)
        guard let first = message.first, first.isUppercase,
              !(message.dropFirst().first?.isUppercase ?? false) else { return message }
        return first.lowercased() + message.dropFirst()
    }
}
