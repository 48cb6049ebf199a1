{
  "targets": [{
    "target_name": "s3prober",
    "sources": ["addon.c"],
    "include_dirs": ["../bpf"],
    "cflags": ["-O2", "-Wall", "-Wno-unused-parameter"],
    "libraries": ["-lbpf", "-lelf", "-lz"]
  }]
}
