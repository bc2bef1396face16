// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "cinder-exporter",
    products: [
        .executable(name: "cinder-exporter", targets: ["cinder-exporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev", "libgnutls28-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CBuildInfo"),
        .systemLibrary(name: "CLibFuzzer"),
        .target(
            name: "CinderExporter",
            dependencies: [
                "CSQLite3", "CMicroHTTPD", "CMariaDB", "CDeflate", "CYAML", "CCrypt", "CMalloc", "CBuildInfo",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cinder-exporter",
            dependencies: [
                "CinderExporter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The parsers' fuzz targets (scripts/fuzz.sh); the tests replay their corpus.
        .target(
            name: "CinderExporterFuzz",
            dependencies: ["CinderExporter"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cinder-exporter-fuzz",
            dependencies: ["CinderExporterFuzz", "CLibFuzzer"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CinderExporterTests",
            dependencies: ["CinderExporter", "CinderExporterFuzz", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
    ]
)
