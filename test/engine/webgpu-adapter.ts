// Whether the webgpu tests run here. They need a WebGPU adapter: a GPU with a
// Vulkan driver, or on a CPU Mesa >= 25's lavapipe, which the README's install
// lines add from bookworm-backports (CI runs them). Without an adapter the
// tests FAIL with the engine's reason and what to install (issue 17: they must
// not pass silently in CI); CELLAB_WEBGPU_TESTS=skip turns that into a counted
// skip that says why, for a machine where no adapter can be installed.
import { probeAdapter } from '../../src/engine/webgpu';

export function webgpuSkip(): string | false {
  if (process.env.CELLAB_WEBGPU_TESTS !== 'skip') return false;
  const p = probeAdapter();
  return p.ok ? false : `CELLAB_WEBGPU_TESTS=skip and no WebGPU adapter here: ${p.reason}`;
}
