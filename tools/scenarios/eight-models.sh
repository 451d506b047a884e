#!/usr/bin/env bash
# Issue #25's project: eight checkpoints it has never seen in one console project (RepVGG-A0 at 224 and at 97 x 131,
# A0 deploy-time, B1, B1g2, B1g4 and its deploy-time file, and the PyTorch fixture). Before #25 the C# compiler
# crashed on it (2.1 GB of prepacked weights); now it builds, and each model's logits in the built application are
# checked, bit for bit, against `repvgg verify`'s fused logits for the same checkpoint and images, which verify
# holds to the unfused float64 reference within 1e-4 relative L2 (its exit code 3 otherwise).
#
#   bash tools/scenarios/eight-models.sh [work folder]     (about 10 minutes on 2 cores; not part of CI)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work/app/weights"
cd "$work"

dotnet build "$repo/src/RepVgg.WeightsStep" -c Release -v q -nologo >/dev/null
dotnet build "$repo/src/RepVgg.Cli" -c Release -v q -nologo >/dev/null
step="$repo/src/RepVgg.WeightsStep/bin/Release/net10.0/repvgg-compile.dll"
repvgg="$repo/src/RepVgg.Cli/bin/Release/net10.0/repvgg.dll"

# Synthetic checkpoints (deterministic weights; BatchNorm statistics uncalibrated, which the check does not need).
synth() { [ -f "app/weights/$2" ] || dotnet "$step" synthesize "$1" "app/weights/$2" --uncalibrated ${3:-}; }
synth A0 a0.pth
synth A0 a0-deploy.pth --deploy
synth B1 b1.pth
synth B1g2 b1g2.pth
synth B1g4 b1g4.pth
synth B1g4 b1g4-deploy.pth --deploy
cp "$repo/tests/fixtures/pytorch/tiny_official_train.pth" app/weights/tiny.pth

# name, checkpoint, height, width, extra metadata
models=(
  "A0a a0.pth 224 224"
  "A0Wide a0.pth 97 131"
  "A0Deploy a0-deploy.pth 224 224"
  "B1 b1.pth 224 224"
  "B1g2 b1g2.pth 224 224"
  "B1g4 b1g4.pth 224 224"
  "B1g4Deploy b1g4-deploy.pth 224 224"
  "Tiny tiny.pth 64 64 Strides=\"2,2,2,2,2\""
)
items=""
cases=""
for model in "${models[@]}"; do
  read -r name file height width extra <<<"$model"
  items+="    <RepVggModel Include=\"weights/$file\" ClassName=\"$name\" InputHeight=\"$height\" InputWidth=\"$width\" ${extra:-} />"$'\n'
  cases+="    case \"$name\": Run(Eight.$name.InputChannels * Eight.$name.InputHeight * Eight.$name.InputWidth, Eight.$name.ClassCount, (i, l) => { using var net = Eight.$name.Create(RepVgg.Backend.Cpu); net.Infer(i, l); }); break;"$'\n'
done
cat > app/Eight.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <RootNamespace>Eight</RootNamespace>
  </PropertyGroup>
  <ItemGroup>
$items  </ItemGroup>
  <Import Project="$repo/Directory.Build.targets" />
</Project>
XML
cat > app/Program.cs <<CS
using System.Runtime.InteropServices;
// Program <model> <images.f32> <logits.f32>: the model's logits for the images, raw float32.
float[] images = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(args[1])).ToArray();
switch (args[0])
{
$cases    default: throw new ArgumentException(args[0]);
}
void Run(int imageLength, int classes, Action<float[], float[]> infer)
{
    float[] logits = new float[images.Length / imageLength * classes];
    infer(images, logits);
    File.WriteAllBytes(args[2], MemoryMarshal.AsBytes(logits.AsSpan()).ToArray());
}
CS

echo "eight-models: building the project (the weights step compiles eight checkpoints)"
dotnet build app -c Release -nologo -v m 2>&1 | grep -E "repvgg-compile:|error|Warn|warn" || true
ls -la app/obj/Release/net10.0/RepVgg/*.weights.bin | awk '{ total += $5; print } END { printf "embedded in all: %.1f MB\n", total / 1e6 }'

failed=0
for model in "${models[@]}"; do
  read -r name file height width extra <<<"$model"
  strides=""; [ "$name" = Tiny ] && strides="--strides 2,2,2,2,2"
  # Two seeded images of the model's size.
  python3 - "$height" "$width" "$name.images.f32" <<'PY'
import sys, random, struct
h, w, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(5)
with open(path, "wb") as f:
    f.write(struct.pack(f"<{2 * 3 * h * w}f", *[rng.uniform(-1, 1) for _ in range(2 * 3 * h * w)]))
PY
  dotnet app/bin/Release/net10.0/Eight.dll "$name" "$name.images.f32" "$name.app.f32"
  if dotnet "$repvgg" verify "app/weights/$file" --input "$name.images.f32" --input-height "$height" --input-width "$width" $strides --batch 1 -o "$name.verify.f32" > "$name.verify.txt"; then
    verdict="within 1e-4 of float64"
  else
    verdict="NOT within 1e-4 of float64"; failed=1
  fi
  if cmp -s "$name.app.f32" "$name.verify.f32"; then same="the application's logits are verify's, bit for bit"; else same="the application's logits DIFFER from verify's"; failed=1; fi
  echo "eight-models: $name ($file, $height x $width): $verdict ($(grep -Eo 'relative L2 [^,]*' "$name.verify.txt" | tail -1)); $same"
done
exit $failed
