import CNISpec
import TestKit

extension InterfaceName {
    /// `TestNode.uniqueName(prefix)` as an interface name: at most 15 ASCII
    /// bytes for the short prefixes these tests use.
    static func unique(_ prefix: String) -> InterfaceName {
        let text = TestNode.uniqueName(prefix)
        do {
            return try InterfaceName(text)
        } catch {
            preconditionFailure("\(text) is not an interface name: \(error)")
        }
    }
}
