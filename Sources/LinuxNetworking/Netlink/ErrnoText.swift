import Glibc

/// Error text in the form the reference plugins print.
///
/// Go's `syscall.Errno.Error()` is glibc's `strerror` text with a lowercase
/// first letter ("file exists", "no such device", "numerical result out of
/// range"). Error messages that users or tooling grep for keep that form.
enum ErrnoText {
    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        var message = String(cString: text)
        if let first = message.first, first.isUppercase {
            // strerror texts are ASCII; keep acronyms such as "I/O" intact
            // by only lowering when the second letter is lowercase too.
            let rest = message.dropFirst()
            if rest.first.map({ !$0.isUppercase }) ?? true {
                message = first.lowercased() + rest
            }
        }
        return message
    }

    /// Go's `%q` for a plain string: double quotes, with `"` and `\`
    /// escaped. Control characters, which never occur in paths or interface
    /// names used here, are escaped as `\xNN`.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
