#ifndef CINDER_YAML_SHIM_H
#define CINDER_YAML_SHIM_H
/* Debian's libyaml (libyaml-dev, pkg-config yaml-0.1): the web config's
   parser. Its event API imports as is; nothing to wrap. */
#include <yaml.h>
#endif
