// N-API binding of the wav2vec 2.0 encoder (wav2vec2_binding.cpp).
#pragma once

#include <napi.h>

namespace ggt {
namespace addon {

// wav2vec2Features({samples [T], weightNames: string[], weights: tensor[] (same order, HF names),
//   hidden, numLayers, numHeads, intermediate, posConvKernel, posConvGroups, convDim: number[],
//   convKernel: number[], convStride: number[], convBias, extractorLayerNorm, layerNormFirst,
//   layerNormEps?, doNormalize, layer? (-1 = last)}) -> {features [frames, hidden]}
// Weights travel as an array because HF names contain dots, which run_op reads as nesting.
Napi::Value Wav2Vec2Features(const Napi::CallbackInfo& info);

}  // namespace addon
}  // namespace ggt
