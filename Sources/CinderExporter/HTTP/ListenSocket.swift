#if canImport(Glibc)
import Glibc
#endif

/// Opens the listening socket ourselves, so any `HOST:PORT` (names, IPv4,
/// IPv6, dual-stack wildcard) binds the same way, and port 0 reports the port
/// the kernel chose.
enum ListenSocket {
    static func open(_ address: ListenAddress) throws(ConfigurationError) -> (fd: Int32, port: UInt16) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = address.host.isEmpty ? AF_INET6 : AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        var status = getaddrinfo(address.host.isEmpty ? nil : address.host, String(address.port), &hints, &list)
        if status != 0, address.host.isEmpty {
            // No IPv6 on this machine: every IPv4 address instead.
            hints.ai_family = AF_INET
            status = getaddrinfo(nil, String(address.port), &hints, &list)
        }
        guard status == 0, let first = list else {
            throw ConfigurationError("cannot resolve listen address \(address): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no usable address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            var on: Int32 = 1, off: Int32 = 0
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            if info.pointee.ai_family == AF_INET6, address.host.isEmpty {
                setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &off, socklen_t(MemoryLayout<Int32>.size))
            }
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 1024) == 0 else {
                lastError = String(cString: strerror(errno))
                close(fd)
                continue
            }
            return (fd, boundPort(fd))
        }
        throw ConfigurationError("cannot listen on \(address): \(lastError)")
    }

    /// What a descriptor refers to (device and inode): a socket keeps its
    /// inode while open, and a new file gets another one.
    struct Identity: Equatable {
        let device: UInt64
        let inode: UInt64

        init?(_ fd: Int32) {
            var status = stat()
            guard fstat(fd, &status) == 0 else { return nil }
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
        }
    }

    /// After `MHD_start_daemon` failed: libmicrohttpd 0.9.75 closes the
    /// listening socket it was given on some failures (TLS set-up, threads)
    /// and not on others (option parsing, e.g. a bad priority string). Close
    /// it only if the descriptor still is that socket; once libmicrohttpd
    /// closed it, the number may already name another thread's file.
    static func closeAfterFailedStart(_ fd: Int32, identity: Identity?) {
        guard let identity, let current = Identity(fd), current == identity else { return }
        close(fd)
    }

    private static func boundPort(_ fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { pointer -> UInt16 in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }
}
