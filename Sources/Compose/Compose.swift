// Compose owns turning compose files into a validated, normalized Project
// and its service graph. It is pure: it reads files through a FileSystem
// abstraction and never touches the runtime, the network or the image store.
// Its model phases run in this order on YAML Nodes (marks survive):
// Validator.validate → Normalizer.normalize → Profiles.apply →
// Validator.checkReferences → Project(normalized:) → ServiceGraph.
// Independent phases may run on a second thread (`Concurrently`: validation
// beside normalization, half of the services, the project model beside the
// reference checks), always with the
// results and diagnostics, in the same order, of running them one by one.
