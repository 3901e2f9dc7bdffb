/// One file of the store's index: the reservations whose keys hash to it,
/// kept as the file's bytes so that a lookup allocates nothing but its
/// answer.
///
/// Text format, one reservation per line after a header line:
///
///     # swift-cni host-local index v2
///     10.1.2.3 d1f0c2%0D%0Aeth0
///
/// The key is percent-encoded (every byte outside `!`...`~`, and `%`), so a
/// bucket never holds `\r`. That matters because the reference walks every
/// file under the store, subdirectories included, and deletes or counts any
/// whose trimmed content equals `id\r\nifname` or a bare `id`: a bucket
/// holds no `\r` and starts with `#` followed by a newline, so it can equal
/// neither a `\r\n` key nor a valid container ID.
///
/// Keys are bucketed by their container ID part (the bytes before the
/// first `\r\n`), so a container's exact and legacy reservations share a
/// bucket and ADD's duplicate check reads one file.
struct IndexBucket: Equatable {
    /// The file's content.
    private(set) var bytes: [UInt8]

    static let header = Array("# swift-cni host-local index v2\n".utf8)

    /// How many buckets there are. Enough that a bucket stays small at any
    /// realistic store size (60,000 reservations: ~15 lines, ~500 bytes),
    /// few enough that a rebuild writes at most this many files.
    static let count = 4096

    init() { bytes = IndexBucket.header }

    /// A bucket read from its file, or nil when the file is not one we
    /// wrote whole: the header, then lines `name key` of printable ASCII
    /// (one space between), each ending in a newline.
    init?(validating fileContent: [UInt8]) {
        guard fileContent.starts(with: IndexBucket.header), fileContent.last == UInt8(ascii: "\n") else { return nil }
        var spaces = 0
        var lineLength = 0
        for byte in fileContent[IndexBucket.header.count...] {
            switch byte {
            case UInt8(ascii: "\n"):
                guard spaces == 1 else { return nil }
                spaces = 0
                lineLength = 0
                continue
            case UInt8(ascii: " "):
                guard lineLength > 0 else { return nil }
                spaces += 1
            case 0x21...0x7e:
                break
            default:
                return nil
            }
            lineLength += 1
        }
        bytes = fileContent
    }

    /// The bucket of a key: FNV-1a (64 bit) of its container ID part,
    /// modulo `count`.
    static func number(for key: [UInt8]) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key[..<containerIDEnd(key)] {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return Int(hash % UInt64(count))
    }

    /// Where a key's container ID part ends: at its first `\r\n`, or at
    /// its end (a legacy key).
    static func containerIDEnd(_ key: [UInt8]) -> Int {
        for index in key.indices.dropLast() where key[index] == 0x0d && key[index + 1] == 0x0a { return index }
        return key.count
    }

    /// The file name of bucket `number`: `b` and three hex digits.
    static func fileName(_ number: Int) -> String {
        let hex = String(number, radix: 16)
        return "b" + String(repeating: "0", count: 3 - hex.count) + hex
    }

    /// The bucket number a file name stands for, if it is a bucket's name.
    static func number(fileName name: String) -> Int? {
        let utf8 = Array(name.utf8)
        guard utf8.count == 4, utf8[0] == UInt8(ascii: "b"),
              utf8.dropFirst().allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        return Int(name.dropFirst(), radix: 16)
    }

    /// Every record whose key has the container ID of `key`: its exact
    /// reservations for any interface and its legacy ones (they share this
    /// bucket). Keys are returned encoded, as the file holds them.
    func records(sharingContainerIDWith key: [UInt8]) -> [(name: String, encodedKey: [UInt8])] {
        let container = IndexBucket.encode(Array(key[..<IndexBucket.containerIDEnd(key)]))
        let separator = Array("%0D%0A".utf8)
        var records: [(name: String, encodedKey: [UInt8])] = []
        forEachLine { line in
            guard line.first != UInt8(ascii: "#"), let space = line.firstIndex(of: UInt8(ascii: " ")) else { return }
            let encoded = line[(space + 1)...]
            guard encoded.starts(with: container) else { return }
            let rest = encoded.dropFirst(container.count)
            guard rest.isEmpty || rest.starts(with: separator) else { return }
            records.append((String(decoding: line[..<space], as: UTF8.self), Array(encoded)))
        }
        return records
    }

    /// Forgets the record of `name` under an already encoded key. Returns
    /// false if there was none.
    @discardableResult
    mutating func remove(name: String, encodedKey: [UInt8]) -> Bool {
        removeLine(Array(name.utf8) + [UInt8(ascii: " ")] + encodedKey)
    }

    /// Records that `name` holds `key`. Returns false if it already did.
    @discardableResult
    mutating func add(name: String, key: [UInt8]) -> Bool {
        let line = Array(name.utf8) + [UInt8(ascii: " ")] + IndexBucket.encode(key)
        var present = false
        forEachLine { if $0.elementsEqual(line) { present = true } }
        guard !present else { return false }
        if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        bytes += line
        bytes.append(UInt8(ascii: "\n"))
        return true
    }

    /// Forgets that `name` holds `key`. Returns false if it did not.
    @discardableResult
    mutating func remove(name: String, key: [UInt8]) -> Bool {
        removeLine(Array(name.utf8) + [UInt8(ascii: " ")] + IndexBucket.encode(key))
    }

    private mutating func removeLine(_ line: [UInt8]) -> Bool {
        var kept: [UInt8] = []
        kept.reserveCapacity(bytes.count)
        var removed = false
        forEachLine { current in
            if current.elementsEqual(line) {
                removed = true
            } else {
                kept += current
                kept.append(UInt8(ascii: "\n"))
            }
        }
        if removed { bytes = kept }
        return removed
    }

    /// Calls `body` with each non-empty line, without its newline.
    private func forEachLine(_ body: (ArraySlice<UInt8>) -> Void) {
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            if end > start { body(bytes[start..<end]) }
            start = end + 1
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// The bytes `encode` turned into `encoded`, or nil if it is not such
    /// an encoding.
    static func decode(_ encoded: some Collection<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        var iterator = encoded.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: return digit - 0x30
        case 0x41...0x46: return digit - 0x41 + 10
        default: return nil
        }
    }

    static func encode(_ key: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(key.count + 6)
        for byte in key {
            if byte > 0x20 && byte < 0x7f && byte != UInt8(ascii: "%") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xf)]]
            }
        }
        return out
    }
}
