/// The release these binaries belong to: `git describe --tags --always
/// --dirty` of the commit they were built from (e.g. `v0.2.0` or
/// `v0.2.0-3-g1a2b3c4-dirty`), or nil for every build that scripts/release.sh
/// did not make, such as a plain `swift build`. The about line then says
/// "version unknown", as the reference's does when built without its
/// version flag.
///
/// scripts/release.sh rewrites the value on the last line for the length of
/// its build and puts this file back afterwards, so the committed value is
/// always nil. It lives in a module of its own that only the two executables
/// import: stamping a release recompiles this one file and relinks, nothing
/// more.
public let releaseVersion: String? = nil
