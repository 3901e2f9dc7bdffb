import Netlink

/// One nf_tables expression of a rule, in the form the kernel stores and
/// reports it (register numbers, header offsets, raw bytes in network
/// order). Only the expressions this module writes are modelled; anything
/// else reads back as `.other(name)`, so a foreign rule never equals ours.
enum NFTExpression: Hashable, Sendable {
    /// `meta load <key> => reg`.
    case meta(key: UInt32, register: UInt32)
    /// `payload load <length>b @ <base> + <offset> => reg`.
    case payload(base: UInt32, offset: UInt32, length: UInt32, register: UInt32)
    /// `bitwise reg = (reg & mask) ^ xor` over `mask.count` bytes.
    case bitwise(register: UInt32, mask: [UInt8], xor: [UInt8])
    /// `cmp <operation> reg <data>`.
    case compare(register: UInt32, operation: UInt32, data: [UInt8])
    /// `immediate reg 0 <verdict> [-> chain]`.
    case verdict(code: Int32, chain: String?)
    /// `masq` without options.
    case masquerade
    case other(name: String)

    static let verdictRegister = NFTRegister.verdict
    static let register1 = NFTRegister.one

    var name: String {
        switch self {
        case .meta: return "meta"
        case .payload: return "payload"
        case .bitwise: return "bitwise"
        case .compare: return "cmp"
        case .verdict: return "immediate"
        case .masquerade: return "masq"
        case .other(let name): return name
        }
    }

    /// Puts this expression as one NFTA_LIST_ELEM of a rule's expression list.
    func encode(into message: NetlinkMessageBuilder) {
        message.nest(NFTAttribute.listElem) { element in
            element.put(NFTAttribute.exprName, string: name)
            element.nest(NFTAttribute.exprData) { data in
                switch self {
                case .meta(let key, let register):
                    data.putBigEndian(NFTAttribute.metaDreg, register)
                    data.putBigEndian(NFTAttribute.metaKey, key)
                case .payload(let base, let offset, let length, let register):
                    data.putBigEndian(NFTAttribute.payloadDreg, register)
                    data.putBigEndian(NFTAttribute.payloadBase, base)
                    data.putBigEndian(NFTAttribute.payloadOffset, offset)
                    data.putBigEndian(NFTAttribute.payloadLen, length)
                case .bitwise(let register, let mask, let xor):
                    data.putBigEndian(NFTAttribute.bitwiseSreg, register)
                    data.putBigEndian(NFTAttribute.bitwiseDreg, register)
                    data.putBigEndian(NFTAttribute.bitwiseLen, UInt32(mask.count))
                    data.nest(NFTAttribute.bitwiseMask) { $0.put(NFTAttribute.dataValue, bytes: mask) }
                    data.nest(NFTAttribute.bitwiseXor) { $0.put(NFTAttribute.dataValue, bytes: xor) }
                case .compare(let register, let operation, let bytes):
                    data.putBigEndian(NFTAttribute.cmpSreg, register)
                    data.putBigEndian(NFTAttribute.cmpOp, operation)
                    data.nest(NFTAttribute.cmpData) { $0.put(NFTAttribute.dataValue, bytes: bytes) }
                case .verdict(let code, let chain):
                    data.putBigEndian(NFTAttribute.immediateDreg, Self.verdictRegister)
                    data.nest(NFTAttribute.immediateData) { immediate in
                        immediate.nest(NFTAttribute.dataVerdict) { verdict in
                            verdict.putBigEndian(NFTAttribute.verdictCode, UInt32(bitPattern: code))
                            if let chain { verdict.put(NFTAttribute.verdictChain, string: chain) }
                        }
                    }
                case .masquerade, .other:
                    break
                }
            }
        }
    }

    /// Reads one NFTA_LIST_ELEM as the kernel reports it.
    init(parsing element: NetlinkAttributes) {
        let name = element.string(NFTAttribute.exprName) ?? ""
        let data = element.nested(NFTAttribute.exprData) ?? NetlinkAttributes(parsing: [UInt8]())
        switch name {
        case "meta":
            if let key = data.bigEndian32(NFTAttribute.metaKey), let register = data.bigEndian32(NFTAttribute.metaDreg) {
                self = .meta(key: key, register: register)
                return
            }
        case "payload":
            if let register = data.bigEndian32(NFTAttribute.payloadDreg),
               let base = data.bigEndian32(NFTAttribute.payloadBase),
               let offset = data.bigEndian32(NFTAttribute.payloadOffset),
               let length = data.bigEndian32(NFTAttribute.payloadLen) {
                self = .payload(base: base, offset: offset, length: length, register: register)
                return
            }
        case "bitwise":
            let operation = data.bigEndian32(NFTAttribute.bitwiseOp) ?? 0
            if operation == 0, let source = data.bigEndian32(NFTAttribute.bitwiseSreg),
               data.bigEndian32(NFTAttribute.bitwiseDreg) == source,
               let mask = data.nested(NFTAttribute.bitwiseMask)?[NFTAttribute.dataValue],
               let xor = data.nested(NFTAttribute.bitwiseXor)?[NFTAttribute.dataValue] {
                self = .bitwise(register: source, mask: Array(mask), xor: Array(xor))
                return
            }
        case "cmp":
            if let register = data.bigEndian32(NFTAttribute.cmpSreg),
               let operation = data.bigEndian32(NFTAttribute.cmpOp),
               let bytes = data.nested(NFTAttribute.cmpData)?[NFTAttribute.dataValue] {
                self = .compare(register: register, operation: operation, data: Array(bytes))
                return
            }
        case "immediate":
            if data.bigEndian32(NFTAttribute.immediateDreg) == Self.verdictRegister,
               let verdict = data.nested(NFTAttribute.immediateData)?.nested(NFTAttribute.dataVerdict),
               let code = verdict.bigEndian32(NFTAttribute.verdictCode) {
                self = .verdict(code: Int32(bitPattern: code), chain: verdict.string(NFTAttribute.verdictChain))
                return
            }
        case "masq":
            if data.entries.isEmpty {
                self = .masquerade
                return
            }
        default:
            break
        }
        self = .other(name: name)
    }
}
