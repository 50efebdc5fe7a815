#include "view_live.hpp"
namespace snitch {
int run_live(const LiveOptions&) { return 1; }
}
