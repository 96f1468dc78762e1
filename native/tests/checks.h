// The check groups of ggtalker_native_check (each counts into check::passed / failed and, with
// `bench`, prints JSON lines).
#pragma once

namespace ggt {
namespace check {

void rasterize_checks(bool bench, int reps);
void synthesis_checks(bool bench, int reps);

}  // namespace check
}  // namespace ggt
