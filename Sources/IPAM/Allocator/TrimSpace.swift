/// Go's `strings.TrimSpace` on raw bytes: strips leading and trailing Unicode
/// white space (ASCII `\t \n \v \f \r` and space, U+0085, U+00A0, U+1680,
/// U+2000...U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, in UTF-8).
///
/// Bytes, not `String`: reservation files may hold invalid UTF-8, and two
/// different invalid contents must stay different keys, as they are for the
/// reference.
func trimmingSpace<C: BidirectionalCollection<UInt8>>(_ bytes: C) -> C.SubSequence {
    var slice = bytes[...]
    while let length = leadingSpaceLength(slice) { slice = slice.dropFirst(length) }
    while let length = trailingSpaceLength(slice) { slice = slice.dropLast(length) }
    return slice
}

private func isASCIISpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (byte >= 0x09 && byte <= 0x0d)
}

/// Multi-byte white space sequences, longest first, so that at the end of a
/// text a three-byte space wins over a two-byte tail.
private let multiByteSpaces: [[UInt8]] = {
    var list: [[UInt8]] = [[0xe1, 0x9a, 0x80]]
    for low in UInt8(0x80)...UInt8(0x8a) { list.append([0xe2, 0x80, low]) }
    list += [[0xe2, 0x80, 0xa8], [0xe2, 0x80, 0xa9], [0xe2, 0x80, 0xaf], [0xe2, 0x81, 0x9f], [0xe3, 0x80, 0x80]]
    list += [[0xc2, 0x85], [0xc2, 0xa0]]
    return list
}()

private func leadingSpaceLength<S: Collection<UInt8>>(_ bytes: S) -> Int? {
    guard let first = bytes.first else { return nil }
    if isASCIISpace(first) { return 1 }
    for sequence in multiByteSpaces where bytes.starts(with: sequence) { return sequence.count }
    return nil
}

private func trailingSpaceLength<S: BidirectionalCollection<UInt8>>(_ bytes: S) -> Int? {
    guard let last = bytes.last else { return nil }
    if isASCIISpace(last) { return 1 }
    for sequence in multiByteSpaces
    where bytes.reversed().starts(with: sequence.reversed()) {
        return sequence.count
    }
    return nil
}
