/// The `dns` member of configs and results.
public struct DNS: Equatable, Sendable {
    public var nameservers: [String]
    public var domain: String
    public var search: [String]
    public var options: [String]

    public init(nameservers: [String] = [], domain: String = "", search: [String] = [], options: [String] = []) {
        self.nameservers = nameservers
        self.domain = domain
        self.search = search
        self.options = options
    }

    init(reading reader: ConfigReader) throws(CNIError) {
        nameservers = try reader.stringArray("nameservers") ?? []
        domain = try reader.string("domain") ?? ""
        search = try reader.stringArray("search") ?? []
        options = try reader.stringArray("options") ?? []
    }

    public var isEmpty: Bool {
        nameservers.isEmpty && domain.isEmpty && search.isEmpty && options.isEmpty
    }

    /// The JSON object, with empty members left out.
    public var json: JSONValue {
        var object = JSONObject()
        if !nameservers.isEmpty { object.append("nameservers", .array(nameservers.map { .string($0) })) }
        if !domain.isEmpty { object.append("domain", .string(domain)) }
        if !search.isEmpty { object.append("search", .array(search.map { .string($0) })) }
        if !options.isEmpty { object.append("options", .array(options.map { .string($0) })) }
        return .object(object)
    }
}
