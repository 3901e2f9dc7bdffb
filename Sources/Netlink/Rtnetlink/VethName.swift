import CNISpec
import CNetlink
import Glibc
import SystemSupport

/// Host-side veth names in the reference's form: `veth` followed by four
/// random bytes as eight lowercase hex digits (`veth37075f93`), 12
/// characters, within the kernel's 15-character limit.
public enum VethName {
    /// A fresh random name from getrandom(2).
    public static func random() -> InterfaceName {
        name(for: RandomBytes.value())
    }

    /// The name for four given bytes (big-endian in `value`).
    public static func name(for value: UInt32) -> InterfaceName {
        let hex = String(value, radix: 16)
        let text = "veth" + String(repeating: "0", count: 8 - hex.count) + hex
        do {
            return try InterfaceName(text)
        } catch {
            preconditionFailure("\(text) is 12 ASCII letters and digits, always a valid name")
        }
    }
}

/// Random values from getrandom(2), for names and MAC addresses (not for
/// secrets).
enum RandomBytes {
    static func value<T: FixedWidthInteger>(_ type: T.Type = UInt32.self) -> T {
        var value: T = 0
        var filled = 0
        withUnsafeMutableBytes(of: &value) { buffer in
            while filled < buffer.count {
                let got = cnl_getrandom(buffer.baseAddress! + filled, UInt(buffer.count - filled))
                if got > 0 { filled += got } else if errno != EINTR { break }
            }
        }
        if filled < MemoryLayout<T>.size {
            // getrandom cannot fail on Linux >= 3.17 short of a bad buffer;
            // stay unique-ish rather than crash.
            value ^= T(truncatingIfNeeded: MonotonicClock.nowNanoseconds()) ^ T(truncatingIfNeeded: getpid())
        }
        return value
    }
}
