import { create } from "@bufbuild/protobuf";
import { corev1 } from "@tokenplane/proto";
import { describe, expect, it } from "vitest";
import { finalDirMode, finalFileMode, fsGroupFrom, fsUserFrom, tokenFileMode } from "./file-modes.js";

type Ctx = { runAsUser?: number; fsGroup?: number };

function pod(podCtx: Ctx, containers: Array<number | undefined>, init: Array<number | undefined> = []) {
  const container = (name: string, uid: number | undefined) =>
    create(corev1.ContainerSchema, {
      name,
      ...(uid === undefined ? {} : { securityContext: { runAsUser: BigInt(uid) } }),
    });
  return create(corev1.PodSchema, {
    spec: {
      containers: containers.map((u, i) => container(`c${i}`, u)),
      initContainers: init.map((u, i) => container(`i${i}`, u)),
      securityContext: {
        ...(podCtx.runAsUser === undefined ? {} : { runAsUser: BigInt(podCtx.runAsUser) }),
        ...(podCtx.fsGroup === undefined ? {} : { fsGroup: BigInt(podCtx.fsGroup) }),
      },
    },
  });
}

describe("token file mode and owner (reference §5, e2e test of projected token modes)", () => {
  // [what, pod security context, container uids, owner uid, group, final mode]
  const table: Array<
    [string, Ctx, Array<number | undefined>, number | undefined, number | undefined, number]
  > = [
    ["neither → 0644", {}, [undefined], undefined, undefined, 0o644],
    ["runAsUser → 0600 owned by it", { runAsUser: 1000 }, [undefined], 1000, undefined, 0o600],
    ["fsGroup → 0640 group fsGroup", { fsGroup: 2000 }, [undefined], undefined, 2000, 0o640],
    ["both → 0640", { runAsUser: 1000, fsGroup: 2000 }, [undefined], 1000, 2000, 0o640],
    ["containers agree on a uid", {}, [1001, 1001], 1001, undefined, 0o600],
    ["container overrides the pod's uid", { runAsUser: 1000 }, [1002], 1002, undefined, 0o600],
    ["containers disagree → no fsUser → 0644", {}, [1001, 1002], undefined, undefined, 0o644],
    ["one container without uid → no fsUser", {}, [1001, undefined], undefined, undefined, 0o644],
  ];
  it.each(table)("%s", (_what, ctx, uids, owner, group, mode) => {
    const p = pod(ctx, uids);
    const fsUser = fsUserFrom(p);
    const fsGroup = fsGroupFrom(p);
    expect(fsUser).toBe(owner);
    expect(fsGroup).toBe(group);
    expect(finalFileMode(tokenFileMode(0o644, fsUser, fsGroup), fsGroup)).toBe(mode);
  });

  it("counts init containers in FsUserFrom", () => {
    expect(fsUserFrom(pod({}, [1001], [1001]))).toBe(1001);
    expect(fsUserFrom(pod({}, [1001], [0]))).toBeUndefined();
  });

  it("keeps the volume's defaultMode for the token without fsUser and fsGroup", () => {
    expect(tokenFileMode(0o400, undefined, undefined)).toBe(0o400);
  });

  it.each([
    [0o644, undefined, 0o644],
    [0o644, 5, 0o644],
    [0o600, 5, 0o640],
    [0o400, 5, 0o440],
  ])("other files: mode %o with fsGroup %s → %o", (mode, group, expected) => {
    expect(finalFileMode(mode, group)).toBe(expected);
  });

  it("gives directories setgid and group read/execute with a fsGroup", () => {
    expect(finalDirMode(undefined)).toBe(0o755);
    expect(finalDirMode(2000)).toBe(0o2755);
  });
});
