internal import CBuildInfo

/// What `--version` prints and `cinder_exporter_build_info` carries.
public enum BuildInfo {
    public static let version = "0.1.0"
    /// The git commit, stamped by scripts/build-deb.sh through CBuildInfo;
    /// "unknown" in a plain `swift build` (SwiftPM has no build stamping).
    public static let revision = String(cString: cinder_build_revision())
}
