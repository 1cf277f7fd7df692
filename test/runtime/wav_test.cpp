// Tests of the WAV reader of examples/asr_transcribe (wav.c). The files are
// built here byte by byte, so every malformation is explicit.
#include "wav.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes &b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}

void put32(Bytes &b, uint32_t v) {
  put16(b, v & 0xffff);
  put16(b, v >> 16);
}

void putTag(Bytes &b, const char *tag) { b.insert(b.end(), tag, tag + 4); }

// One chunk: id, size, body and the pad byte after an odd body.
Bytes chunk(const char *id, const Bytes &body, bool pad = true) {
  Bytes b;
  putTag(b, id);
  put32(b, static_cast<uint32_t>(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  if (pad && body.size() % 2)
    b.push_back(0);
  return b;
}

struct Format {
  uint16_t tag = 1;
  uint16_t channels = 1;
  uint32_t rate = 16000;
  uint16_t bits = 16;
  bool extensible = false;
  bool pcmSubformat = true;
};

Bytes fmtChunk(const Format &f) {
  Bytes b;
  uint16_t align = static_cast<uint16_t>(f.channels * f.bits / 8);
  put16(b, f.extensible ? 0xfffe : f.tag);
  put16(b, f.channels);
  put32(b, f.rate);
  put32(b, f.rate * align);
  put16(b, align);
  put16(b, f.bits);
  if (f.extensible) {
    put16(b, 22);     // cbSize
    put16(b, f.bits); // valid bits
    put32(b, 4);      // channel mask: front centre
    const uint8_t guidTail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                  0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};
    put16(b, f.pcmSubformat ? 1 : 3);
    b.insert(b.end(), guidTail, guidTail + 14);
  }
  return chunk("fmt ", b);
}

Bytes pcm(const std::vector<int16_t> &samples) {
  Bytes b;
  for (int16_t s : samples)
    put16(b, static_cast<uint16_t>(s));
  return b;
}

// RIFF header around the chunks, its size counting them all.
Bytes riff(const std::vector<Bytes> &chunks) {
  Bytes body;
  putTag(body, "WAVE");
  for (const Bytes &c : chunks)
    body.insert(body.end(), c.begin(), c.end());
  Bytes b;
  putTag(b, "RIFF");
  put32(b, static_cast<uint32_t>(body.size()));
  b.insert(b.end(), body.begin(), body.end());
  return b;
}

const std::vector<int16_t> kSamples = {0, 1, -1, 16384, -16384, 32767, -32768};

Bytes validWav(const Format &f = {}) {
  return riff({fmtChunk(f), chunk("data", pcm(kSamples))});
}

struct Parsed {
  int rc;
  std::string error;
  wav_audio audio;
};

Parsed parse(const Bytes &bytes) {
  Parsed p{};
  char error[256] = "";
  p.rc = wav_parse(bytes.data(), bytes.size(), &p.audio, error, sizeof error);
  p.error = error;
  return p;
}

void expectSamples(const wav_audio &audio, uint32_t rate) {
  EXPECT_EQ(audio.sample_rate, rate);
  ASSERT_EQ(audio.count, kSamples.size());
  for (size_t i = 0; i < kSamples.size(); i++)
    EXPECT_EQ(audio.samples[i], kSamples[i] / 32768.0f) << i;
  EXPECT_EQ(audio.samples[5], 32767 / 32768.0f); // below 1
  EXPECT_EQ(audio.samples[6], -1.0f);
}

void expectRejected(const std::string &name, const Bytes &bytes,
                    const std::string &expected) {
  SCOPED_TRACE(name);
  Parsed p = parse(bytes);
  EXPECT_EQ(p.rc, -1);
  EXPECT_NE(p.error.find(expected), std::string::npos) << p.error;
  EXPECT_EQ(p.audio.samples, nullptr);
  EXPECT_EQ(p.audio.count, 0u);
}

TEST(Wav, ReadsMono16kHz) {
  Parsed p = parse(validWav());
  ASSERT_EQ(p.rc, 0) << p.error;
  expectSamples(p.audio, 16000);
  wav_free(&p.audio);
  EXPECT_EQ(p.audio.samples, nullptr);
}

TEST(Wav, ReportsOtherSampleRates) {
  Format f;
  f.rate = 44100;
  Parsed p = parse(validWav(f));
  ASSERT_EQ(p.rc, 0) << p.error;
  expectSamples(p.audio, 44100);
  wav_free(&p.audio);
}

TEST(Wav, ReadsExtensiblePcm) {
  Format f;
  f.extensible = true;
  Parsed p = parse(validWav(f));
  ASSERT_EQ(p.rc, 0) << p.error;
  expectSamples(p.audio, 16000);
  wav_free(&p.audio);
}

TEST(Wav, SkipsOddSizedListAndUnknownChunks) {
  Bytes list = chunk("LIST", Bytes{'I', 'N', 'F', 'O', 'x'}); // 5 + pad
  Bytes unknown = chunk("junk", Bytes(3, 0xff));
  Parsed p = parse(
      riff({list, fmtChunk({}), unknown, chunk("data", pcm(kSamples)), list}));
  ASSERT_EQ(p.rc, 0) << p.error;
  expectSamples(p.audio, 16000);
  wav_free(&p.audio);
}

TEST(Wav, DataBeforeFmtAndTrailingBytes) {
  Bytes b = riff({chunk("data", pcm(kSamples)), fmtChunk({})});
  b.push_back(0x42); // after the RIFF size: ignored
  Parsed p = parse(b);
  ASSERT_EQ(p.rc, 0) << p.error;
  expectSamples(p.audio, 16000);
  wav_free(&p.audio);
}

TEST(Wav, LastOddChunkWithoutPadByte) {
  Parsed p = parse(riff({fmtChunk({}), chunk("data", pcm(kSamples)),
                         chunk("LIST", Bytes(3, 'a'), false)}));
  ASSERT_EQ(p.rc, 0) << p.error;
  wav_free(&p.audio);
}

TEST(Wav, EmptyData) {
  Parsed p = parse(riff({fmtChunk({}), chunk("data", {})}));
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(p.audio.count, 0u);
  EXPECT_EQ(p.audio.samples, nullptr);
}

TEST(Wav, RejectsNonWav) {
  expectRejected("empty", {}, "not a RIFF/WAVE file");
  expectRejected(
      "text",
      Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', '\n'},
      "not a RIFF/WAVE file");
  Bytes avi = validWav();
  avi[8] = 'A', avi[9] = 'V', avi[10] = 'I', avi[11] = ' ';
  expectRejected("avi", avi, "not a RIFF/WAVE file");
  Bytes rifx = validWav();
  rifx[3] = 'X';
  expectRejected("rifx", rifx, "RIFX files are not supported");
}

TEST(Wav, RejectsTruncatedFiles) {
  Bytes wav = validWav();
  expectRejected("header", Bytes(wav.begin(), wav.begin() + 10),
                 "truncated RIFF header: 10 bytes");
  // Cut inside the data: the RIFF size claims more than there is.
  expectRejected("data", Bytes(wav.begin(), wav.end() - 3),
                 "truncated file: the RIFF header claims");
  // RIFF size consistent with the cut, data chunk size not.
  Bytes cut(wav.begin(), wav.end() - 4);
  cut[4] = static_cast<uint8_t>(cut.size() - 8);
  expectRejected("data chunk", cut, "truncated data chunk at offset 36");
  // A chunk header cut short.
  Bytes header = riff({fmtChunk({}), Bytes{'d', 'a', 't', 'a', 0}});
  expectRejected("chunk header", header, "truncated chunk header at offset 36");
}

TEST(Wav, RejectsAbsurdSizesBeforeAllocating) {
  // A data chunk claiming 4 GB in a 58-byte file.
  Bytes b = validWav();
  b[40] = b[41] = b[42] = b[43] = 0xff;
  expectRejected("data claims 4 GB", b,
                 "truncated data chunk at offset 36: it claims 4294967295 "
                 "bytes, 14 are left");
  // The RIFF header claiming 2 GB.
  b[4] = b[5] = b[6] = 0xff, b[7] = 0x7f;
  expectRejected("riff claims 2 GB", b,
                 "truncated file: the RIFF header claims 2147483655 bytes, the "
                 "file has 58");
  // The same data chunk in a 1 KB file whose RIFF size is right.
  b.resize(1024);
  b[4] = static_cast<uint8_t>((1024 - 8) & 0xff);
  b[5] = static_cast<uint8_t>((1024 - 8) >> 8);
  b[6] = b[7] = 0;
  expectRejected("1 KB file", b,
                 "truncated data chunk at offset 36: it claims 4294967295 "
                 "bytes, 980 are left");
}

TEST(Wav, RejectsOtherFormats) {
  Format stereo;
  stereo.channels = 2;
  expectRejected("stereo", validWav(stereo), "2 channels; convert to mono");
  Format bits8;
  bits8.bits = 8;
  expectRejected("8-bit", validWav(bits8),
                 "8-bit samples; convert to 16-bit PCM");
  Format bits24;
  bits24.bits = 24;
  expectRejected("24-bit", validWav(bits24),
                 "24-bit samples; convert to 16-bit PCM");
  Format floats;
  floats.tag = 3;
  floats.bits = 32;
  expectRejected("float", validWav(floats),
                 "IEEE float samples (format tag 0x0003); convert to 16-bit "
                 "PCM");
  Format mulaw;
  mulaw.tag = 7;
  mulaw.bits = 8;
  expectRejected("mu-law", validWav(mulaw), "mu-law samples");
  Format extFloat;
  extFloat.extensible = true;
  extFloat.pcmSubformat = false;
  expectRejected("extensible float", validWav(extFloat),
                 "IEEE float samples (format tag 0x0003)");
  Format zeroRate;
  zeroRate.rate = 0;
  expectRejected("rate 0", validWav(zeroRate), "sample rate 0");
}

TEST(Wav, RejectsMissingOrBadChunks) {
  expectRejected("no fmt", riff({chunk("data", pcm(kSamples))}),
                 "no fmt chunk");
  expectRejected("no data", riff({fmtChunk({})}), "no data chunk");
  expectRejected(
      "short fmt",
      riff({chunk("fmt ", Bytes(14, 0)), chunk("data", pcm(kSamples))}),
      "fmt chunk of 14 bytes");
  expectRejected(
      "two data",
      riff({fmtChunk({}), chunk("data", pcm({1})), chunk("data", pcm({2}))}),
      "two data chunks");
  Bytes odd = pcm(kSamples);
  odd.push_back(0);
  expectRejected("odd data", riff({fmtChunk({}), chunk("data", odd)}),
                 "data chunk of 15 bytes is not a whole number of 2-byte "
                 "samples");
}

TEST(Wav, ReadsFiles) {
  std::string path =
      ::testing::TempDir() + "wav_test_" + std::to_string(getpid()) + ".wav";
  Bytes bytes = validWav();
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char *>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
  }
  wav_audio audio;
  char error[256] = "";
  ASSERT_EQ(wav_read(path.c_str(), &audio, error, sizeof error), 0) << error;
  expectSamples(audio, 16000);
  wav_free(&audio);

  {
    std::ofstream out(path, std::ios::binary);
    out << "RIFF";
  }
  EXPECT_EQ(wav_read(path.c_str(), &audio, error, sizeof error), -1);
  EXPECT_EQ(std::string(error),
            path + ": truncated RIFF header: 4 bytes, expected 12");
  std::remove(path.c_str());
  EXPECT_EQ(wav_read(path.c_str(), &audio, error, sizeof error), -1);
  EXPECT_EQ(std::string(error), path + ": No such file or directory");
}

} // namespace
