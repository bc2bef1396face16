/// What `--version` prints and `cinder_exporter_build_info` carries.
public enum BuildInfo {
    public static let version = "0.1.0"
    /// SwiftPM has no build-time stamping without a plugin; release packaging
    /// may replace this line.
    public static let revision = "unknown"
}
