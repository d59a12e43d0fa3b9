import Diagnostics
import ImageStore
import OCI
import YAML

/// `berth config --resolve-image-digests`: pins every service's `image` to
/// the manifest digest of the image in berth's store, keeping the name and
/// tag the file used (`busybox` → `busybox:latest@sha256:…`), so that the
/// printed project runs exactly these images on any machine that has them.
/// There is no registry to ask, so an image must be present locally (as
/// `docker-compose` v1 required); a reference that already carries a digest
/// is left as written.
enum ConfigImageDigests {
    /// The pinned reference for `text`, or nil when it already has a digest.
    /// `lookup` returns the manifest digest of a stored image.
    static func pinned(_ text: String, lookup: (String) throws -> Digest) throws -> String? {
        let reference = try ImageReference.parse(text)
        if reference.digest != nil { return nil }
        let digest = try lookup(text)
        return ImageReference(domain: reference.domain, path: reference.path, tag: reference.tag, digest: digest)
            .familiarDescription
    }

    /// `model` (the shaped `config` output) with each service's image pinned.
    static func resolve(_ model: Node, lookup: (String) throws -> Digest) throws -> Node {
        guard let services = model["services"], let pairs = services.mappingPairs else { return model }
        var resolved: [Node.Pair] = []
        for pair in pairs {
            guard let image = pair.value["image"], let text = image.scalarValue else {
                resolved.append(pair)
                continue
            }
            let name = pair.key.scalarValue ?? "?"
            let pinnedText: String?
            do {
                pinnedText = try pinned(text, lookup: lookup)
            } catch let error as ImageStoreError {
                if case .unknownImage = error {
                    throw UserError("service \"\(name)\": image \"\(text)\" is not in berth's image store; "
                        + "--resolve-image-digests pins local images (pull, load or import it first)")
                }
                throw error
            } catch let error as OCIError {
                throw UserError("service \"\(name)\": invalid image reference \"\(text)\": \(error)")
            }
            guard let pinnedText else {
                resolved.append(pair)
                continue
            }
            let value = pair.value.setting("image", to: .scalar(pinnedText, mark: image.mark))
            resolved.append(Node.Pair(key: pair.key, value: value))
        }
        return model.setting("services", to: .mapping(resolved, mark: services.mark))
    }

    /// Looks images up in the store at `paths`.
    static func storeLookup(_ paths: StatePaths) -> (String) throws -> Digest {
        let store = ImageStore(paths: paths)
        return { try store.image($0).manifestDigest }
    }
}
