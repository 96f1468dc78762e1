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
      "ldflags": ["<!@(node scripts/torch-config.cjs ldflags)"]
    }
  ]
}
