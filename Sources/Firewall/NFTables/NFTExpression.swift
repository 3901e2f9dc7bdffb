import CNetlink

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

    static let verdictRegister = UInt32(NFT_REG_VERDICT.rawValue)
    static let register1 = UInt32(NFT_REG_1.rawValue)

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
        message.nest(NFTA_LIST_ELEM.rawValue) { element in
            element.put(NFTA_EXPR_NAME.rawValue, string: name)
            element.nest(NFTA_EXPR_DATA.rawValue) { data in
                switch self {
                case .meta(let key, let register):
                    data.putBigEndian(NFTA_META_DREG.rawValue, register)
                    data.putBigEndian(NFTA_META_KEY.rawValue, key)
                case .payload(let base, let offset, let length, let register):
                    data.putBigEndian(NFTA_PAYLOAD_DREG.rawValue, register)
                    data.putBigEndian(NFTA_PAYLOAD_BASE.rawValue, base)
                    data.putBigEndian(NFTA_PAYLOAD_OFFSET.rawValue, offset)
                    data.putBigEndian(NFTA_PAYLOAD_LEN.rawValue, length)
                case .bitwise(let register, let mask, let xor):
                    data.putBigEndian(NFTA_BITWISE_SREG.rawValue, register)
                    data.putBigEndian(NFTA_BITWISE_DREG.rawValue, register)
                    data.putBigEndian(NFTA_BITWISE_LEN.rawValue, UInt32(mask.count))
                    data.nest(NFTA_BITWISE_MASK.rawValue) { $0.put(NFTA_DATA_VALUE.rawValue, bytes: mask) }
                    data.nest(NFTA_BITWISE_XOR.rawValue) { $0.put(NFTA_DATA_VALUE.rawValue, bytes: xor) }
                case .compare(let register, let operation, let bytes):
                    data.putBigEndian(NFTA_CMP_SREG.rawValue, register)
                    data.putBigEndian(NFTA_CMP_OP.rawValue, operation)
                    data.nest(NFTA_CMP_DATA.rawValue) { $0.put(NFTA_DATA_VALUE.rawValue, bytes: bytes) }
                case .verdict(let code, let chain):
                    data.putBigEndian(NFTA_IMMEDIATE_DREG.rawValue, Self.verdictRegister)
                    data.nest(NFTA_IMMEDIATE_DATA.rawValue) { immediate in
                        immediate.nest(NFTA_DATA_VERDICT.rawValue) { verdict in
                            verdict.putBigEndian(NFTA_VERDICT_CODE.rawValue, UInt32(bitPattern: code))
                            if let chain { verdict.put(NFTA_VERDICT_CHAIN.rawValue, string: chain) }
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
        let name = element.string(NFTA_EXPR_NAME.rawValue) ?? ""
        let data = element.nested(NFTA_EXPR_DATA.rawValue) ?? NetlinkAttributes(parsing: [UInt8]())
        switch name {
        case "meta":
            if let key = data.bigEndian32(NFTA_META_KEY.rawValue), let register = data.bigEndian32(NFTA_META_DREG.rawValue) {
                self = .meta(key: key, register: register)
                return
            }
        case "payload":
            if let register = data.bigEndian32(NFTA_PAYLOAD_DREG.rawValue),
               let base = data.bigEndian32(NFTA_PAYLOAD_BASE.rawValue),
               let offset = data.bigEndian32(NFTA_PAYLOAD_OFFSET.rawValue),
               let length = data.bigEndian32(NFTA_PAYLOAD_LEN.rawValue) {
                self = .payload(base: base, offset: offset, length: length, register: register)
                return
            }
        case "bitwise":
            let operation = data.bigEndian32(NFTA_BITWISE_OP.rawValue) ?? 0
            if operation == 0, let source = data.bigEndian32(NFTA_BITWISE_SREG.rawValue),
               data.bigEndian32(NFTA_BITWISE_DREG.rawValue) == source,
               let mask = data.nested(NFTA_BITWISE_MASK.rawValue)?[NFTA_DATA_VALUE.rawValue],
               let xor = data.nested(NFTA_BITWISE_XOR.rawValue)?[NFTA_DATA_VALUE.rawValue] {
                self = .bitwise(register: source, mask: Array(mask), xor: Array(xor))
                return
            }
        case "cmp":
            if let register = data.bigEndian32(NFTA_CMP_SREG.rawValue),
               let operation = data.bigEndian32(NFTA_CMP_OP.rawValue),
               let bytes = data.nested(NFTA_CMP_DATA.rawValue)?[NFTA_DATA_VALUE.rawValue] {
                self = .compare(register: register, operation: operation, data: Array(bytes))
                return
            }
        case "immediate":
            if data.bigEndian32(NFTA_IMMEDIATE_DREG.rawValue) == Self.verdictRegister,
               let verdict = data.nested(NFTA_IMMEDIATE_DATA.rawValue)?.nested(NFTA_DATA_VERDICT.rawValue),
               let code = verdict.bigEndian32(NFTA_VERDICT_CODE.rawValue) {
                self = .verdict(code: Int32(bitPattern: code), chain: verdict.string(NFTA_VERDICT_CHAIN.rawValue))
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
