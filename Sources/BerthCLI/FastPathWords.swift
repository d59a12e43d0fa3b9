/// The word handling `ConfigFastPath` and `RunFastPath` share: both read a
/// narrow subset of what ArgumentParser reads and leave everything else to
/// it, so both must read an option word and its value the same way.
enum FastPathWords {
    /// `--name=value` as ("--name", "value"); any other word as (word, nil).
    static func split(_ word: String) -> (name: Substring, attached: Substring?) {
        if word.hasPrefix("--"), let eq = word.firstIndex(of: "=") {
            return (word[..<eq], word[word.index(after: eq)...])
        }
        return (word[...], nil)
    }

    /// An option's value: the attached one, else the next word (taken from
    /// `rest`). Nil when there is none, or it is empty or starts with `-`:
    /// ArgumentParser decides what such a value means.
    static func value(_ attached: Substring?, _ rest: inout ArraySlice<String>) -> String? {
        let value: String
        if let attached {
            value = String(attached)
        } else {
            guard let next = rest.popFirst() else { return nil }
            value = next
        }
        return value.isEmpty || value.hasPrefix("-") ? nil : value
    }
}
