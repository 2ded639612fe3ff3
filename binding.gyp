{
  "targets": [
    {
      "target_name": "interlocked",
      "sources": [
        "src/native/addon.cc",
        "src/native/napi/errors.cc",
        "src/native/napi/env_context.cc",
        "src/native/napi/shared_memory_wrap.cc",
        "src/native/napi/named_event_wrap.cc",
        "src/native/napi/rwlock_wrap.cc",
        "src/native/async/process_lock.cc",
        "src/native/async/lock_registry.cc",
        "src/native/async/event_waiter.cc",
        "src/native/core/rw_lock_segment.cc",
        "src/native/core/names.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "src/native"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fexceptions"
      ],
      "conditions": [
        [
          "OS=='linux'",
          {
            "sources": [
              "src/native/napi/bell_watch_uv.cc",
              "src/native/platform/linux_bell.cc",
              "src/native/platform/linux_segment.cc",
              "src/native/platform/linux_park.cc",
              "src/native/platform/linux_process.cc",
              "src/native/platform/linux_event.cc",
              "src/native/platform/linux_exit_watch.cc",
              "src/native/platform/posix_crash_point.cc",
              "src/native/platform/posix_clock.cc",
              "src/native/platform/linux_errors.cc",
              "src/native/platform/glibc_compat.cc"
            ],
            "libraries": [
              "-lrt",
              "-lpthread",
              "-Wl,--push-state,--no-as-needed",
              "-l:libpthread.so.0",
              "-Wl,--pop-state"
            ],
            "ldflags": [
              "-static-libstdc++",
              "-static-libgcc",
              "-Wl,--exclude-libs,ALL",
              "-Wl,--version-script=<(module_root_dir)/src/native/platform/linux_exports.map",
              "-Wl,--wrap=pthread_create",
              "-Wl,--wrap=pthread_detach",
              "-Wl,--wrap=pthread_join",
              "-Wl,--wrap=pthread_once",
              "-Wl,--wrap=pthread_mutex_trylock",
              "-Wl,--wrap=pthread_key_create",
              "-Wl,--wrap=__pthread_key_create",
              "-Wl,--wrap=pthread_key_delete",
              "-Wl,--wrap=pthread_getspecific",
              "-Wl,--wrap=pthread_setspecific",
              "-Wl,--wrap=fstat",
              "-Wl,--wrap=fstat64",
              "-Wl,--wrap=_dl_find_object",
              "-Wl,--wrap=arc4random"
            ]
          }
        ],
        [
          "OS=='win'",
          {
            "sources": [
              "src/native/napi/bell_watch_none.cc",
              "src/native/platform/no_bell.cc",
              "src/native/platform/win32_segment.cc",
              "src/native/platform/win32_event.cc",
              "src/native/platform/win32_process.cc",
              "src/native/platform/win32_misc.cc",
              "src/native/platform/win32_errors.cc",
              "src/native/platform/win32_delay_load_hook.cc"
            ],
            "defines": [
              "WIN32_LEAN_AND_MEAN",
              "NOMINMAX",
              "_CRT_RAND_S"
            ],
            "msvs_settings": {
              "VCCLCompilerTool": {
                "ExceptionHandling": 1,
                "AdditionalOptions": [
                  "/std:c++17"
                ]
              }
            }
          }
        ]
      ]
    }
  ]
}
