import CNISpec
import Glibc
import SystemSupport

/// Reads a resolv.conf into a result's `dns`, as the reference does:
/// `nameserver` appends, `domain` sets (the last wins), `search` and
/// `options` append every word; comments (`#`, `;`), blank lines and lines
/// with fewer than two fields are skipped.
enum ResolvConf {
    static func read(path: String) throws(CNIError) -> DNS {
        // A C string would end at the NUL and name another file; Go refuses it.
        guard !path.utf8.contains(0) else {
            throw CNIError(.invalidNetworkConfig, "open \(path): \(StandardIO.errorText(EINVAL))")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CNIError(.invalidNetworkConfig, "open \(path): \(StandardIO.errorText(errno))")
        }
        defer { close(fd) }
        let bytes: [UInt8]
        do {
            bytes = try StandardIO.readAll(fd: fd, limit: 1 << 20)
        } catch {
            switch error {
            case .failed(let code): throw CNIError(.invalidNetworkConfig, "read \(path): \(StandardIO.errorText(code))")
            case .tooLarge: throw CNIError(.invalidNetworkConfig, "read \(path): larger than 1 MiB")
            }
        }
        return parse(String(decoding: bytes, as: UTF8.self))
    }

    static func parse(_ text: String) -> DNS {
        var dns = DNS()
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard fields.count >= 2 else { continue }
            switch fields[0] {
            case "nameserver": dns.nameservers.append(fields[1])
            case "domain": dns.domain = fields[1]
            case "search": dns.search += fields.dropFirst()
            case "options": dns.options += fields.dropFirst()
            default: continue
            }
        }
        return dns
    }
}
