/// Codable over `RecordJSON`, without Foundation: container records
/// (config.json, state.json) are `Codable` structs written through this.
public enum RecordCoding {
    /// Encodes a value to a JSON tree.
    public static func encode<T: Encodable>(_ value: T) throws -> RecordJSON {
        let box = ValueBox()
        try value.encode(to: TreeEncoder(box: box, codingPath: []))
        return box.value ?? .null
    }

    /// Decodes a value from a JSON tree.
    public static func decode<T: Decodable>(_ type: T.Type, from json: RecordJSON) throws -> T {
        try T(from: TreeDecoder(value: json, codingPath: []))
    }

    /// Decodes a value from JSON text.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decode(type, from: RecordJSON.parse(text))
    }

    /// The value in `bytes` when this reader can read it, else nil: the
    /// caller then goes through Foundation's JSONDecoder, whose errors (and
    /// leniencies) stay what users see. Cheap on the start path, where
    /// JSONDecoder's first use costs about a millisecond.
    public static func decodeIfReadable<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) -> T? {
        guard let json = try? RecordJSON.parse(bytes) else { return nil }
        return try? decode(type, from: json)
    }

    /// `container.decode([String: V].self, forKey: key)`, for a type's own
    /// `init(from:)`. Through this reader the object's members are read
    /// directly: the standard library's Dictionary decoding asks the
    /// container for `allKeys`, and the type-erased container turns those
    /// into `[any CodingKey]` by a dynamic cast, for which the runtime
    /// scans every conformance record of the binary (once per process,
    /// ≈ 0.15 ms on the start path of a command). Other decoders (the
    /// JSONDecoder fallback) go the standard way.
    public static func decodeMap<K: CodingKey, V: Decodable>(_ type: V.Type, in container: KeyedDecodingContainer<K>,
                                                            forKey key: K) throws -> [String: V] {
        guard let tree = try container.superDecoder(forKey: key) as? TreeDecoder else {
            return try container.decode([String: V].self, forKey: key)
        }
        guard case .object(let members) = tree.value else {
            throw mismatch([String: V].self, tree.codingPath, "object")
        }
        var map: [String: V] = [:]
        map.reserveCapacity(members.count)
        for (name, value) in members {
            map[name] = try decodeLeaf(V.self, value, path: tree.codingPath + [AnyKey(stringValue: name)])
        }
        return map
    }
}

// MARK: - Encoding

/// A mutable slot a container writes into; containers nest boxes and
/// collapse them into values when read.
private final class ValueBox {
    enum Content { case value(RecordJSON), object([(String, ValueBox)]), array([ValueBox]) }
    var content: Content?

    var value: RecordJSON? {
        switch content {
        case nil: return nil
        case .value(let v): return v
        case .object(let members): return .object(members.map { ($0.0, $0.1.value ?? .null) })
        case .array(let items): return .array(items.map { $0.value ?? .null })
        }
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

private struct TreeEncoder: Encoder {
    let box: ValueBox
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = box.content {} else { box.content = .object([]) }
        return KeyedEncodingContainer(KeyedEnc<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = box.content {} else { box.content = .array([]) }
        return UnkeyedEnc(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleEnc(box: box, codingPath: codingPath)
    }
}

private func encodeLeaf<T: Encodable>(_ value: T, path: [any CodingKey]) throws -> ValueBox {
    let child = ValueBox()
    switch value {
    case let v as String: child.content = .value(.string(v))
    case let v as Bool: child.content = .value(.bool(v))
    case let v as Int: child.content = .value(.int(Int64(v)))
    case let v as Int32: child.content = .value(.int(Int64(v)))
    case let v as Int64: child.content = .value(.int(v))
    case let v as UInt32: child.content = .value(.int(Int64(v)))
    case let v as UInt64: child.content = .value(v <= UInt64(Int64.max) ? .int(Int64(v)) : .double(Double(v)))
    case let v as UInt16: child.content = .value(.int(Int64(v)))
    case let v as UInt8: child.content = .value(.int(Int64(v)))
    case let v as UInt: child.content = .value(.int(Int64(v)))
    case let v as Double: child.content = .value(.double(v))
    case let v as RecordJSON: child.content = .value(v)
    default: try value.encode(to: TreeEncoder(box: child, codingPath: path))
    }
    return child
}

private struct KeyedEnc<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ValueBox
    var codingPath: [any CodingKey]

    private func put(_ key: Key, _ child: ValueBox) {
        guard case .object(var members) = box.content else { return }
        if let i = members.firstIndex(where: { $0.0 == key.stringValue }) { members[i].1 = child } else { members.append((key.stringValue, child)) }
        box.content = .object(members)
    }

    mutating func encodeNil(forKey key: Key) throws {
        let b = ValueBox(); b.content = .value(.null); put(key, b)
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        put(key, try encodeLeaf(value, path: codingPath + [key]))
    }
    // Optionals that are nil are omitted, as Foundation's encoder does.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) }
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = ValueBox(); child.content = .object([]); put(key, child)
        return KeyedEncodingContainer(KeyedEnc<NestedKey>(box: child, codingPath: codingPath + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = ValueBox(); child.content = .array([]); put(key, child)
        return UnkeyedEnc(box: child, codingPath: codingPath + [key])
    }
    mutating func superEncoder() -> any Encoder { TreeEncoder(box: box, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = ValueBox(); put(key, child)
        return TreeEncoder(box: child, codingPath: codingPath + [key])
    }
}

private struct UnkeyedEnc: UnkeyedEncodingContainer {
    let box: ValueBox
    var codingPath: [any CodingKey]
    var count: Int { if case .array(let a) = box.content { return a.count }; return 0 }

    private func append(_ child: ValueBox) {
        guard case .array(var items) = box.content else { return }
        items.append(child)
        box.content = .array(items)
    }
    mutating func encodeNil() throws { let b = ValueBox(); b.content = .value(.null); append(b) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        append(try encodeLeaf(value, path: codingPath + [AnyKey(intValue: count)]))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = ValueBox(); child.content = .object([]); append(child)
        return KeyedEncodingContainer(KeyedEnc<NestedKey>(box: child, codingPath: codingPath))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = ValueBox(); child.content = .array([]); append(child)
        return UnkeyedEnc(box: child, codingPath: codingPath)
    }
    mutating func superEncoder() -> any Encoder {
        let child = ValueBox(); append(child)
        return TreeEncoder(box: child, codingPath: codingPath)
    }
}

private struct SingleEnc: SingleValueEncodingContainer {
    let box: ValueBox
    var codingPath: [any CodingKey]
    mutating func encodeNil() throws { box.content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        box.content = try encodeLeaf(value, path: codingPath).content
    }
}

// MARK: - Decoding

private func mismatch(_ type: Any.Type, _ path: [any CodingKey], _ what: String) -> DecodingError {
    .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(what)"))
}

private func decodeLeaf<T: Decodable>(_ type: T.Type, _ v: RecordJSON, path: [any CodingKey]) throws -> T {
    func cast(_ x: Any) throws -> T {
        guard let r = x as? T else { throw mismatch(type, path, "\(T.self)") }
        return r
    }
    func int<I: FixedWidthInteger>(_: I.Type) throws -> I {
        guard let i = v.intValue, let r = I(exactly: i) else { throw mismatch(type, path, "integer") }
        return r
    }
    switch type {
    case is String.Type:
        guard case .string(let s) = v else { throw mismatch(type, path, "string") }
        return try cast(s)
    case is Bool.Type:
        guard case .bool(let b) = v else { throw mismatch(type, path, "bool") }
        return try cast(b)
    case is Int.Type: return try cast(try int(Int.self))
    case is Int32.Type: return try cast(try int(Int32.self))
    case is Int64.Type: return try cast(try int(Int64.self))
    case is UInt32.Type: return try cast(try int(UInt32.self))
    case is UInt64.Type: return try cast(try int(UInt64.self))
    case is UInt16.Type: return try cast(try int(UInt16.self))
    case is UInt8.Type: return try cast(try int(UInt8.self))
    case is UInt.Type: return try cast(try int(UInt.self))
    case is Double.Type:
        switch v {
        case .double(let d): return try cast(d)
        case .int(let i): return try cast(Double(i))
        default: throw mismatch(type, path, "number")
        }
    case is RecordJSON.Type: return try cast(v)
    default: return try T(from: TreeDecoder(value: v, codingPath: path))
    }
}

private struct TreeDecoder: Decoder {
    let value: RecordJSON
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch([String: Any].self, codingPath, "object") }
        return KeyedDecodingContainer(KeyedDec<Key>(members: members, codingPath: codingPath))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch([Any].self, codingPath, "array") }
        return UnkeyedDec(items: items, codingPath: codingPath)
    }
    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleDec(value: value, codingPath: codingPath)
    }
}

private struct KeyedDec<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [(String, RecordJSON)]
    var codingPath: [any CodingKey]
    // A loop rather than `compactMap`: unspecialized here (`Key` is
    // generic), that would make the runtime look up `Sequence`'s witnesses
    // by scanning every conformance record of the binary.
    var allKeys: [Key] {
        var keys: [Key] = []
        for (name, _) in members {
            if let key = Key(stringValue: name) { keys.append(key) }
        }
        return keys
    }

    func find(_ key: Key) throws -> RecordJSON {
        guard let v = members.first(where: { $0.0 == key.stringValue })?.1 else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing key \(key.stringValue)"))
        }
        return v
    }
    func contains(_ key: Key) -> Bool { members.contains { $0.0 == key.stringValue } }
    func decodeNil(forKey key: Key) throws -> Bool { (try? find(key)) == .null || !contains(key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeLeaf(type, try find(key), path: codingPath + [key])
    }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = members.first(where: { $0.0 == key.stringValue })?.1, v != .null else { return nil }
        return try decodeLeaf(type, v, path: codingPath + [key])
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(value: try find(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(value: try find(key), codingPath: codingPath + [key]).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { TreeDecoder(value: .object(members), codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { TreeDecoder(value: try find(key), codingPath: codingPath + [key]) }
}

private struct UnkeyedDec: UnkeyedDecodingContainer {
    let items: [RecordJSON]
    var codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    init(items: [RecordJSON], codingPath: [any CodingKey]) { self.items = items; self.codingPath = codingPath }

    mutating func next() throws -> RecordJSON {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(RecordJSON.self, .init(codingPath: codingPath, debugDescription: "array ended"))
        }
        defer { currentIndex += 1 }
        return items[currentIndex]
    }
    mutating func decodeNil() throws -> Bool {
        if !isAtEnd, items[currentIndex] == .null { currentIndex += 1; return true }
        return false
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let path = codingPath + [AnyKey(intValue: currentIndex)]
        return try decodeLeaf(type, try next(), path: path)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(value: try next(), codingPath: codingPath).container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(value: try next(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder { TreeDecoder(value: try next(), codingPath: codingPath) }
}

private struct SingleDec: SingleValueDecodingContainer {
    let value: RecordJSON
    var codingPath: [any CodingKey]
    func decodeNil() -> Bool { value == .null }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeLeaf(type, value, path: codingPath) }
}
