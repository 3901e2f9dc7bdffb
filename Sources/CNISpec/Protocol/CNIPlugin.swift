/// What a plugin implements. The dispatcher (`PluginMain`) does everything
/// the spec requires before and after: it validates the environment and the
/// config, checks versions, converts the result, and turns every thrown error
/// into a CNI error document.
///
/// Plugins throw `CNIError`; any other error is reported with code 999.
public protocol CNIPlugin {
    /// The "about" line printed when `CNI_COMMAND` is not set.
    var about: String { get }

    /// ADD: create the attachment and describe it.
    func add(_ request: CNIRequest) throws -> CNIResult
    /// DEL: remove everything ADD made; succeed when nothing is left.
    func delete(_ request: CNIRequest) throws
    /// CHECK: verify the attachment described by `prevResult`.
    func check(_ request: CNIRequest) throws
    /// GC: remove resources of attachments not in `validAttachments()`.
    func garbageCollect(_ request: CNIRequest) throws
    /// STATUS: throw (code 50 or 51) when ADD could not succeed now.
    func status(_ request: CNIRequest) throws
}
