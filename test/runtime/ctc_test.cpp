// Tests of greedy CTC decoding and token vocabularies in hmcrt.
#include "hmc/ctc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

constexpr int64_t kVocab = 4; // 0 = blank, 1 = a, 2 = b, 3 = c

// SentencePiece's word-boundary marker U+2581, as its own literal so that
// hex digits after it do not extend the escape.
#define WB "\xe2\x96\x81"

// Log-probs of frames whose argmax is the given token: 0 there, -5 elsewhere.
std::vector<float> frames(const std::vector<int64_t> &best) {
  std::vector<float> out(best.size() * kVocab, -5.0f);
  for (size_t t = 0; t < best.size(); t++)
    out[t * kVocab + static_cast<size_t>(best[t])] = 0.0f;
  return out;
}

std::vector<int64_t> decode(const std::vector<float> &logProbs,
                            int64_t blank = HMCRT_CTC_BLANK) {
  int64_t frameCount = static_cast<int64_t>(logProbs.size()) / kVocab;
  std::vector<int64_t> tokens(static_cast<size_t>(frameCount));
  int64_t count = -1;
  EXPECT_EQ(hmcrt_ctc_greedy(logProbs.data(), frameCount, kVocab, blank,
                             tokens.data(), frameCount, &count),
            HMC_OK);
  tokens.resize(static_cast<size_t>(count));
  return tokens;
}

using Ids = std::vector<int64_t>;

TEST(CtcGreedy, CollapsesRepeatsAndDropsBlanks) {
  EXPECT_EQ(decode(frames({1, 1, 1, 2, 2, 3})), (Ids{1, 2, 3}));
  EXPECT_EQ(decode(frames({0, 1, 0, 0, 2, 0})), (Ids{1, 2}));
  EXPECT_EQ(decode(frames({1})), (Ids{1}));
}

TEST(CtcGreedy, BlankSeparatesRepeatedTokens) {
  EXPECT_EQ(decode(frames({1, 1, 0, 1})), (Ids{1, 1}));
  EXPECT_EQ(decode(frames({2, 0, 2, 0, 2})), (Ids{2, 2, 2}));
}

TEST(CtcGreedy, AllBlankIsEmpty) {
  EXPECT_EQ(decode(frames({0, 0, 0})), Ids{});
  int64_t count = -1;
  std::vector<float> lp = frames({0, 0});
  EXPECT_EQ(hmcrt_ctc_greedy(lp.data(), 2, kVocab, 0, nullptr, 0, &count),
            HMC_OK);
  EXPECT_EQ(count, 0);
}

TEST(CtcGreedy, OtherBlankId) {
  // With blank 3, id 0 is an ordinary token.
  EXPECT_EQ(decode(frames({0, 3, 0, 1, 1, 3}), 3), (Ids{0, 0, 1}));
}

TEST(CtcGreedy, TiesGoToTheLowestId) {
  std::vector<float> lp = {-1,
                           -0.5f,
                           -0.5f,
                           -2, // tie 1 / 2 -> 1
                           -3,
                           -3,
                           -3,
                           -3, // all equal -> blank
                           -9,
                           -2,
                           -1,
                           -1, // tie 2 / 3 -> 2
                           -std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity()};
  EXPECT_EQ(decode(lp), (Ids{1, 2}));
}

TEST(CtcGreedy, AcceptsLogitsAsWellAsLogProbs) {
  std::vector<float> lp = {0.1f, 3.0f, 2.0f, -1.0f, 5.0f, 1.0f, 7.0f, 0.0f};
  EXPECT_EQ(decode(lp), (Ids{1, 2}));
}

TEST(CtcGreedy, CapacityTooSmallReportsTheNeededLength) {
  std::vector<float> lp = frames({1, 0, 2, 3, 3, 1});
  int64_t tokens[2] = {-1, -1};
  int64_t count = -1;
  EXPECT_EQ(hmcrt_ctc_greedy(lp.data(), 6, kVocab, 0, tokens, 2, &count),
            HMC_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(count, 4);
  EXPECT_EQ(tokens[0], 1); // the first capacity ids are written
  EXPECT_EQ(tokens[1], 2);
  count = -1;
  EXPECT_EQ(hmcrt_ctc_greedy(lp.data(), 6, kVocab, 0, nullptr, 0, &count),
            HMC_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(count, 4);
  int64_t exact[4];
  EXPECT_EQ(hmcrt_ctc_greedy(lp.data(), 6, kVocab, 0, exact, 4, &count),
            HMC_OK);
  EXPECT_EQ(Ids(exact, exact + 4), (Ids{1, 2, 3, 1}));
}

TEST(CtcGreedy, RejectsBadArguments) {
  std::vector<float> lp = frames({1, 2});
  int64_t tokens[2];
  int64_t count;
  auto greedy = [&](const float *p, int64_t t, int64_t v, int64_t blank,
                    int64_t *out, int64_t capacity, int64_t *n) {
    count = -1;
    return hmcrt_ctc_greedy(p, t, v, blank, out, capacity, n);
  };
  const hmc_status kBad = HMC_ERROR_INVALID_ARGUMENT;
  EXPECT_EQ(greedy(nullptr, 2, kVocab, 0, tokens, 2, &count), kBad);
  EXPECT_EQ(count, 0);
  EXPECT_EQ(greedy(lp.data(), 2, kVocab, 0, tokens, 2, nullptr), kBad);
  EXPECT_EQ(greedy(lp.data(), 2, kVocab, 0, nullptr, 2, &count), kBad);
  EXPECT_EQ(greedy(lp.data(), 2, kVocab, 0, tokens, -1, &count), kBad);
  EXPECT_EQ(greedy(lp.data(), 0, kVocab, 0, tokens, 2, &count), kBad);
  EXPECT_EQ(greedy(lp.data(), -1, kVocab, 0, tokens, 2, &count), kBad);
  EXPECT_EQ(greedy(lp.data(), 2, 0, 0, tokens, 2, &count), kBad);
  EXPECT_EQ(greedy(lp.data(), 2, -4, 0, tokens, 2, &count), kBad);
  EXPECT_EQ(greedy(lp.data(), 2, kVocab, -1, tokens, 2, &count), kBad);
  EXPECT_EQ(greedy(lp.data(), 2, kVocab, kVocab, tokens, 2, &count), kBad);
  EXPECT_EQ(count, 0);
  // Sizes whose product cannot be addressed.
  EXPECT_EQ(greedy(lp.data(), INT64_MAX, kVocab, 0, tokens, 2, &count), kBad);
}

TEST(CtcGreedy, RejectsNaN) {
  std::vector<float> lp = frames({1, 2, 3});
  lp[kVocab + 3] = std::nanf("");
  int64_t tokens[3];
  int64_t count = -1;
  EXPECT_EQ(hmcrt_ctc_greedy(lp.data(), 3, kVocab, 0, tokens, 3, &count),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(count, 0);
  lp = frames({1});
  lp[0] = std::nanf(""); // at id 0, where the argmax starts
  EXPECT_EQ(hmcrt_ctc_greedy(lp.data(), 1, kVocab, 0, tokens, 3, &count),
            HMC_ERROR_INVALID_ARGUMENT);
}

TEST(CtcGreedyBatch, UtterancesOfDifferentLengths) {
  // Three utterances padded to 5 frames; padding frames would decode to 3.
  std::vector<float> lp;
  for (const Ids &best : {Ids{1, 1, 0, 1, 3}, Ids{2, 3, 3, 3, 3},
                          Ids{3, 3, 3, 3, 3}, Ids{0, 2, 2, 1, 1}}) {
    std::vector<float> f = frames(best);
    lp.insert(lp.end(), f.begin(), f.end());
  }
  int64_t lengths[4] = {4, 1, 0, 5};
  int64_t tokens[20], counts[4], total = -1;
  ASSERT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 4, 5, kVocab, lengths, 0, tokens,
                                   20, counts, &total),
            HMC_OK);
  EXPECT_EQ(Ids(counts, counts + 4), (Ids{2, 1, 0, 2}));
  EXPECT_EQ(total, 5);
  EXPECT_EQ(Ids(tokens, tokens + 5), (Ids{1, 1, 2, 2, 1}));

  // No lengths: every utterance uses all 5 frames.
  ASSERT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 4, 5, kVocab, nullptr, 0, tokens,
                                   20, counts, &total),
            HMC_OK);
  EXPECT_EQ(Ids(counts, counts + 4), (Ids{3, 2, 1, 2}));
  EXPECT_EQ(Ids(tokens, tokens + total), (Ids{1, 1, 3, 2, 3, 3, 2, 1}));

  // Too small: the needed total, counts still complete.
  EXPECT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 4, 5, kVocab, lengths, 0, tokens,
                                   3, counts, &total),
            HMC_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(total, 5);
  EXPECT_EQ(Ids(counts, counts + 4), (Ids{2, 1, 0, 2}));
}

TEST(CtcGreedyBatch, RejectsBadLengthsAndArguments) {
  std::vector<float> lp = frames({1, 2, 1, 2});
  int64_t tokens[4], counts[2] = {7, 7}, total = -1;
  int64_t tooLong[2] = {2, 3};
  int64_t negative[2] = {-1, 2};
  const hmc_status kBad = HMC_ERROR_INVALID_ARGUMENT;
  EXPECT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 2, 2, kVocab, tooLong, 0, tokens,
                                   4, counts, &total),
            kBad);
  EXPECT_EQ(total, 0);
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 2, 2, kVocab, negative, 0, tokens,
                                   4, counts, &total),
            kBad);
  EXPECT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 0, 2, kVocab, nullptr, 0, tokens,
                                   4, counts, &total),
            kBad);
  EXPECT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 2, 2, kVocab, nullptr, 0, tokens,
                                   4, nullptr, &total),
            kBad);
  EXPECT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 2, 2, kVocab, nullptr, 0, tokens,
                                   4, counts, nullptr),
            kBad);
  // A NaN in the second utterance clears the first one's count too.
  lp[2 * kVocab + 1] = std::nanf("");
  EXPECT_EQ(hmcrt_ctc_greedy_batch(lp.data(), 2, 2, kVocab, nullptr, 0, tokens,
                                   4, counts, &total),
            kBad);
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(total, 0);
}

// ---- Vocabularies ----------------------------------------------------------

std::string tempPath(const std::string &name) {
  return ::testing::TempDir() + "hmcrt_vocab_" + std::to_string(getpid()) +
         "_" + name + ".txt";
}

struct TempFile {
  explicit TempFile(const std::string &name, const std::string &bytes)
      : path(tempPath(name)) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  ~TempFile() { std::remove(path.c_str()); }
  std::string path;
};

struct Loaded {
  hmc_status status;
  std::string error;
  hmcrt_vocab *vocab;
};

Loaded load(const std::string &path) {
  Loaded r{};
  char error[512] = "";
  r.vocab = reinterpret_cast<hmcrt_vocab *>(1);
  r.status = hmcrt_vocab_load(path.c_str(), &r.vocab, error, sizeof error);
  r.error = error;
  return r;
}

std::vector<std::string> pieces(const hmcrt_vocab *vocab) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < hmcrt_vocab_size(vocab); i++)
    out.push_back(hmcrt_vocab_piece(vocab, i));
  return out;
}

std::string detokenize(const hmcrt_vocab *vocab, const Ids &ids) {
  size_t length = 0;
  EXPECT_EQ(hmcrt_vocab_detokenize(vocab, ids.data(),
                                   static_cast<int64_t>(ids.size()), nullptr, 0,
                                   &length),
            HMC_ERROR_BUFFER_TOO_SMALL);
  std::string text(length + 1, '?');
  size_t written = 0;
  EXPECT_EQ(hmcrt_vocab_detokenize(vocab, ids.data(),
                                   static_cast<int64_t>(ids.size()), &text[0],
                                   text.size(), &written),
            HMC_OK);
  EXPECT_EQ(written, length);
  EXPECT_EQ(text[length], '\0');
  text.resize(length);
  return text;
}

using Pieces = std::vector<std::string>;

TEST(Vocab, LoadsOnePiecePerLine) {
  TempFile file("plain", "<blank>\n" WB "the\ncat\n" WB "s\n");
  Loaded r = load(file.path);
  ASSERT_EQ(r.status, HMC_OK) << r.error;
  EXPECT_EQ(pieces(r.vocab), (Pieces{"<blank>", WB "the", "cat", WB "s"}));
  EXPECT_EQ(hmcrt_vocab_piece(r.vocab, -1), nullptr);
  EXPECT_EQ(hmcrt_vocab_piece(r.vocab, 4), nullptr);
  hmcrt_vocab_free(r.vocab);
}

TEST(Vocab, EmptyLinesKeepTheirIds) {
  TempFile file("empty_lines", "a\n\nb\n\n");
  Loaded r = load(file.path);
  ASSERT_EQ(r.status, HMC_OK) << r.error;
  EXPECT_EQ(pieces(r.vocab), (Pieces{"a", "", "b", ""}));
  hmcrt_vocab_free(r.vocab);
}

TEST(Vocab, LineEndsTabsAndByteOrderMark) {
  // No final newline, CRLF, a SentencePiece .vocab score column, a BOM.
  TempFile file("crlf", "\xef\xbb\xbf<unk>\t0\r\n" WB "x\t-3.5\r\nz");
  Loaded r = load(file.path);
  ASSERT_EQ(r.status, HMC_OK) << r.error;
  EXPECT_EQ(pieces(r.vocab), (Pieces{"<unk>", WB "x", "z"}));
  hmcrt_vocab_free(r.vocab);
}

TEST(Vocab, Utf8Pieces) {
  TempFile file("utf8", WB "\xc3\xa9t\xc3\xa9\n\xe6\x97\xa5\xe6\x9c\xac\n"
                           "\xf0\x9f\x98\x80\n");
  Loaded r = load(file.path);
  ASSERT_EQ(r.status, HMC_OK) << r.error;
  EXPECT_EQ(pieces(r.vocab),
            (Pieces{WB "\xc3\xa9t\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
                    "\xf0\x9f\x98\x80"}));
  EXPECT_EQ(detokenize(r.vocab, {0, 1, 2, 0}),
            "\xc3\xa9t\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x98\x80 "
            "\xc3\xa9t\xc3\xa9");
  hmcrt_vocab_free(r.vocab);
}

TEST(Vocab, Rejected) {
  struct Case {
    const char *name;
    std::string bytes;
    const char *expected;
  } cases[] = {
      {"empty", "", "empty vocabulary"},
      {"bom_only", "\xef\xbb\xbf", "empty vocabulary"},
      {"nul", std::string("a\nb\0c\n", 6), ":2: NUL byte"},
      {"latin1", "ok\nok\ncaf\xe9\n", ":3: invalid UTF-8"},
      {"truncated_utf8", "\xe2\x96", ":1: invalid UTF-8"},
      {"overlong", "\xc0\xaf\n", ":1: invalid UTF-8"},
      {"surrogate", "\xed\xa0\x80\n", ":1: invalid UTF-8"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    TempFile file(c.name, c.bytes);
    Loaded r = load(file.path);
    EXPECT_EQ(r.status, HMC_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(r.vocab, nullptr);
    EXPECT_NE(r.error.find(file.path), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(c.expected), std::string::npos) << r.error;
  }
}

TEST(Vocab, MissingFile) {
  Loaded r = load(tempPath("does_not_exist"));
  EXPECT_EQ(r.status, HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(r.vocab, nullptr);
  EXPECT_NE(r.error.find("does_not_exist.txt: No such file"), std::string::npos)
      << r.error;
  hmcrt_vocab *vocab = nullptr;
  EXPECT_EQ(hmcrt_vocab_load(nullptr, &vocab, nullptr, 0),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hmcrt_vocab_load("x", nullptr, nullptr, 0),
            HMC_ERROR_INVALID_ARGUMENT);
}

TEST(Vocab, DetokenizesSentencePiece) {
  TempFile file("spm",
                "<blank>\n" WB "the\n" WB "cat\ns\n" WB "\n<unk>\n" WB "sat\n");
  Loaded r = load(file.path);
  ASSERT_EQ(r.status, HMC_OK) << r.error;
  EXPECT_EQ(detokenize(r.vocab, {1, 2, 3, 6}), "the cats sat");
  EXPECT_EQ(detokenize(r.vocab, {4, 2}), "cat"); // leading boundary dropped
  EXPECT_EQ(detokenize(r.vocab, {3, 4, 5}), "s <unk>");
  EXPECT_EQ(detokenize(r.vocab, {}), "");

  size_t length = 99;
  Ids ids = {1, 2};
  char small[7];
  EXPECT_EQ(hmcrt_vocab_detokenize(r.vocab, ids.data(), 2, small, sizeof small,
                                   &length),
            HMC_ERROR_BUFFER_TOO_SMALL);
  EXPECT_EQ(length, 7u); // "the cat" needs 8 bytes with the NUL
  char exact[8];
  EXPECT_EQ(hmcrt_vocab_detokenize(r.vocab, ids.data(), 2, exact, 8, &length),
            HMC_OK);
  EXPECT_STREQ(exact, "the cat");

  Ids bad = {1, 7};
  EXPECT_EQ(hmcrt_vocab_detokenize(r.vocab, bad.data(), 2, exact, 8, &length),
            HMC_ERROR_OUT_OF_RANGE);
  EXPECT_EQ(length, 0u);
  bad = {-1};
  EXPECT_EQ(hmcrt_vocab_detokenize(r.vocab, bad.data(), 1, exact, 8, &length),
            HMC_ERROR_OUT_OF_RANGE);
  EXPECT_EQ(hmcrt_vocab_detokenize(nullptr, ids.data(), 2, exact, 8, &length),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hmcrt_vocab_detokenize(r.vocab, ids.data(), 2, exact, 8, nullptr),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hmcrt_vocab_detokenize(r.vocab, nullptr, 2, exact, 8, &length),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hmcrt_vocab_detokenize(r.vocab, ids.data(), -1, exact, 8, &length),
            HMC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(hmcrt_vocab_detokenize(r.vocab, ids.data(), 2, nullptr, 8, &length),
            HMC_ERROR_INVALID_ARGUMENT);
  hmcrt_vocab_free(r.vocab);
  hmcrt_vocab_free(nullptr);
}

} // namespace
