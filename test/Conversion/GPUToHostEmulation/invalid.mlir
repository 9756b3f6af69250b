// RUN: optgraph-opt %s -optgraph-gpu-to-host-emulation -split-input-file -verify-diagnostics

// What the host cannot run is reported at the op, naming it.
gpu.module @kernels {
  gpu.func @sqrt_asm(%x: f32, %out: memref<1xf32>) kernel {
    // expected-error @+1 {{'llvm.inline_asm' op cannot be emulated on the host: only arith, math, memref, scf, cf, index, ub and vector ops and gpu thread ids and barriers are supported}}
    %r = llvm.inline_asm "sqrt.rn.f32 $0, $1;", "=f,f" %x : (f32) -> f32
    %c0 = arith.constant 0 : index
    memref.store %r, %out[%c0] : memref<1xf32>
    gpu.return
  }
}

// -----

gpu.module @kernels {
  gpu.func @shuffle(%x: f32) kernel {
    %c1 = arith.constant 1 : i32
    %c32 = arith.constant 32 : i32
    // expected-error @+1 {{'gpu.shuffle' op cannot be emulated on the host}}
    %r, %valid = gpu.shuffle xor %x, %c1, %c32 : f32
    gpu.return
  }
}

// -----

gpu.module @kernels {
  gpu.func @float_atomic(%x: f32, %out: memref<1xf32>) kernel {
    %c0 = arith.constant 0 : index
    // expected-error @+1 {{'memref.atomic_rmw' op cannot be emulated on the host: float atomics are not supported}}
    %old = memref.atomic_rmw addf %x, %out[%c0] : (f32, memref<1xf32>) -> f32
    gpu.return
  }
}

// -----

gpu.module @kernels {
  // expected-error @+1 {{'gpu.func' op cannot be emulated on the host: device functions are not supported}}
  gpu.func @helper() {
    gpu.return
  }
}

// -----

gpu.module @kernels {
  // expected-error @+1 {{'gpu.func' op cannot be emulated on the host: private attributions are not supported}}
  gpu.func @private_memory() private(%p : memref<4xf32, #gpu.address_space<private>>) kernel {
    gpu.return
  }
}

// -----

// Integer atomics are fine.
gpu.module @kernels {
  gpu.func @histogram(%out: memref<4xi32>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : i32
    %old = memref.atomic_rmw addi %c1, %out[%c0] : (i32, memref<4xi32>) -> i32
    gpu.return
  }
}

// -----

func.func private @stage()
gpu.module @kernels {
  // expected-error @+1 {{'gpu.func' op cannot be emulated: the module already defines 'stage'}}
  gpu.func @stage() kernel {
    gpu.return
  }
}

// -----

gpu.module @kernels {
  gpu.func @unsupported_argument(%v: vector<4xf32>) kernel {
    gpu.return
  }
}
// expected-error @-4 {{cannot pass a kernel argument of type 'vector<4xf32>' to the emulated kernel}}
