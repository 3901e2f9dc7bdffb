import CNISpec

/// Swift Testing has an `Attachment` type of its own; in these tests the
/// word means the CNI one.
typealias Attachment = CNISpec.Attachment
