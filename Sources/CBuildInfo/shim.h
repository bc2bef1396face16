#ifndef CINDER_BUILD_INFO_SHIM_H
#define CINDER_BUILD_INFO_SHIM_H
/* The git commit a build came from. SwiftPM has no build stamping, so
 * scripts/build-deb.sh passes -Xcc -DCINDER_EXPORTER_REVISION=\"<commit>\";
 * a plain `swift build` leaves it "unknown". A function rather than the macro
 * itself: Swift does not import a macro defined on the command line. */
#ifndef CINDER_EXPORTER_REVISION
#define CINDER_EXPORTER_REVISION "unknown"
#endif
static inline const char *cinder_build_revision(void) { return CINDER_EXPORTER_REVISION; }
#endif
