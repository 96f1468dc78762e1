{
  "targets": [
    {
      "target_name": "ggtalker",
      "sources": ["<!@(node scripts/torch-config.cjs sources)"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/torch-config.cjs include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "<!@(node scripts/torch-config.cjs defines)"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-frtti", "-Wno-unused-parameter"],
      "libraries": ["<!@(node scripts/torch-config.cjs libs)"],
      "ldflags": ["<!@(node scripts/torch-config.cjs ldflags)"],
      "conditions": [
        ["'<!(node scripts/torch-config.cjs cuda)'=='1'", {
          "sources": ["<!@(node scripts/torch-config.cjs cuda-sources)"],
          "defines": ["GGT_WITH_CUDA"],
          "include_dirs": ["<!@(node scripts/torch-config.cjs cuda-include)"],
          "libraries": ["<!@(node scripts/torch-config.cjs cuda-libs)"],
          "rules": [
            {
              "rule_name": "nvcc",
              "extension": "cu",
              "inputs": ["<(RULE_INPUT_PATH)"],
              "outputs": ["<(INTERMEDIATE_DIR)/<(RULE_INPUT_ROOT).cu.o"],
              "action": [
                "<!(node scripts/torch-config.cjs nvcc)", "-std=c++17", "-O3", "--expt-relaxed-constexpr",
                "<!@(node scripts/torch-config.cjs cuda-arch)", "-Xcompiler", "-fPIC",
                "-c", "<(RULE_INPUT_PATH)", "-o", "<@(_outputs)"
              ],
              "message": "nvcc <(RULE_INPUT_PATH)",
              "process_outputs_as_sources": 1
            }
          ]
        }]
      ]
    }
  ]
}
