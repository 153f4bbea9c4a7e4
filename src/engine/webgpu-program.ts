// The shape of cellab's own tfjs-backend-webgpu programs: one shader thread per
// output element, in workgroups of 64 (the fields runWebGPUProgram reads).

const WORKGROUP = 64;

export abstract class PerElementProgram {
  abstract readonly variableNames: string[];
  abstract readonly uniforms: string;
  abstract shaderKey: string;
  readonly workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  readonly size = true;
  readonly dispatchLayout: { x: number[] };
  dispatch: [number, number, number];

  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(outputShape.reduce((a, b) => a * b, 1) / WORKGROUP), 1, 1];
  }

  /** WGSL of `fn main(index : i32)`, the body run for output element `index`. */
  abstract getUserCode(): string;
}
