"""The fixed words of the learner's feedback, in English and Chinese.

Every sentence the kit itself says to a learner (not the check-specific ones)
is one catalogue entry: a key, an English template and a Chinese template.
Code that writes feedback formats the English template (`text`), so reports,
JSON and JUnit files stay in one language for instructors; a learner's
screen is translated when it is drawn (`translate`), line by line: a line
that matches an entry's English template is re-formatted with its Chinese
template, fields kept as they are. Lines written elsewhere in the kit (the
sandbox's "is not implemented yet", the runner's "failing input") are
catalogued with their exact English wording, so they translate too; and
`keys_in` finds which entries a message says (a named mistake), which is how
a hint in curriculum.toml names the mistake it belongs to.

Check names are catalogued too (CHECK_NAMES_ZH, at the end): a check's
English name is its function's name without `test_`, underscores as spaces;
`check_name` gives it in either language for the terminal table (JSON and
JUnit keep the English one).

The language is chosen by `resolve_lang`: an explicit choice, else
NNLAB_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG starting with "zh").
"""

from __future__ import annotations

import os
import re
import string
from functools import cache

LANGS = ("en", "zh")

CATALOGUE: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- checking.py
    "not_array": ("{what} should be an array, got {type}", "{what} 应该是数组，实际是 {type}"),
    "not_numbers": (
        "{what} should hold numbers, got an array of dtype {dtype}",
        "{what} 应该包含数值，实际是 dtype 为 {dtype} 的数组",
    ),
    "wrong_shape": (
        "{what} has shape {got}, expected {expected}",
        "{what} 的形状是 {got}，应为 {expected}",
    ),
    "values_differ": (
        "{what} has the right shape {shape} (dtype {dtype}), but {bad} of {size} values differ",
        "{what} 的形状 {shape} 正确（dtype 为 {dtype}），但 {size} 个值中有 {bad} 个不对",
    ),
    "int_dtype": (
        "the values are integers (dtype {dtype}): was a float result rounded or truncated?",
        "结果是整数（dtype 为 {dtype}）：浮点结果是否被取整或截断了？",
    ),
    "value_differs": ("{what} is {got}, expected {expected}", "{what} 是 {got}，应为 {expected}"),
    "errors": (
        "max abs error {abs}, max rel error {rel}",
        "最大绝对误差 {abs}，最大相对误差 {rel}",
    ),
    "abs_error": ("max abs error {abs}", "最大绝对误差 {abs}"),
    "worst": (
        "worst element at index {index}: got {got}, expected {expected}",
        "误差最大的元素在索引 {index}：实际 {got}，应为 {expected}",
    ),
    "window": (
        "expected (left) and got (right) around it, {window}:",
        "它附近的期望值（左）与实际值（右），{window}：",
    ),
    "not_float": (
        "{what} should be floating point, got dtype {dtype}",
        "{what} 应该是浮点数，实际 dtype 为 {dtype}",
    ),
    # ---------------------------------------------------------------- mistakes.py
    "several_mistakes": (
        "this input cannot tell which of these it is:",
        "这个输入无法分辨是以下哪一种：",
    ),
    "mistake_item": ("- {mistake}", "- {mistake}"),
    "flipped_kernel": (
        "looks like the kernel was flipped: convolution in deep learning is cross-correlation, "
        "use w as it is",
        "看起来卷积核被翻转了：深度学习中的卷积其实是互相关，直接使用 w，不要翻转",
    ),
    "same_wrong_side": (
        "SAME padding put on the wrong side: TensorFlow puts total // 2 zeros before "
        "(top/left) and the odd one after (bottom/right)",
        "SAME 填充放错了一侧：TensorFlow 在前面（上/左）放 total // 2 个，"
        "多出的那一个放在后面（下/右）",
    ),
    "softmax_overflow": (
        "softmax overflowed: exp of a large logit is inf and inf / inf is NaN; subtract each "
        "row's maximum before exponentiating",
        "softmax 溢出了：大的 logit 取指数得到 inf，而 inf / inf 是 NaN；"
        "取指数前先减去每行的最大值",
    ),
    "softmax_global_max": (
        "one maximum was subtracted for the whole array: a row far below it underflows to "
        "0 / 0; subtract each row's own maximum (np.max with the same `axis` and keepdims=True)",
        "整个数组只减去了一个最大值：远小于它的行会下溢成 0 / 0；"
        "应减去每行自己的最大值（np.max 使用同一个 `axis` 并设 keepdims=True）",
    ),
    "log_of_softmax": (
        "the log of a probability that rounded to 0 is -inf: work from the logits, "
        "log_softmax(z) = (z - max) - log(sum(exp(z - max)))",
        "对舍入成 0 的概率取对数得到 -inf：应直接从 logits 计算，"
        "log_softmax(z) = (z - max) - log(sum(exp(z - max)))",
    ),
    "not_clipped": (
        "looks like y_pred was not clipped: clip it to [1e-7, 1 - 1e-7] as Keras does, so "
        "that log never sees 0 (and a certain prediction still costs a little)",
        "看起来 y_pred 没有被裁剪：要像 Keras 那样把它裁剪到 [1e-7, 1 - 1e-7]，"
        "这样 log 永远不会遇到 0（完全确定的预测也仍有一点损失）",
    ),
    "overflow": (
        "NaN or inf where the answer is finite: an overflow, e.g. exp of a large number?",
        "答案是有限值的地方出现了 NaN 或 inf：溢出了，比如对很大的数取了指数？",
    ),
    "sign_flipped": (
        "every value has the wrong sign: got is exactly -expected",
        "每个值的符号都反了：结果正好是期望值的相反数",
    ),
    "transposed": (
        "looks transposed: the transpose of got is the expected answer",
        "看起来被转置了：结果转置之后才是期望的答案",
    ),
    "axes_swapped": (
        "the axes are in the wrong order: got is the expected answer transposed with {perm}",
        "轴的顺序不对：结果等于期望答案按 {perm} 转置",
    ),
    "batch_too_large": (
        "every value is {factor} times too large, and {factor} is the batch size: "
        "divide by it (a mean over the batch, not a sum)",
        "每个值都大了 {factor} 倍，而 {factor} 正是批量大小：应除以它（对批次取平均，而不是求和）",
    ),
    "batch_too_small": (
        "every value is {factor} times too small, and {factor} is the batch size: "
        "was it divided by the batch size once too often?",
        "每个值都小了 {factor} 倍，而 {factor} 正是批量大小：是不是多除了一次批量大小？",
    ),
    "too_large": (
        "every value is {factor} times too large: a constant factor is extra or missing",
        "每个值都大了 {factor} 倍：多了或少了一个常数因子",
    ),
    "too_small": (
        "every value is {factor} times too small: a constant factor is extra or missing",
        "每个值都小了 {factor} 倍：多了或少了一个常数因子",
    ),
    "scaled": (
        "every value is off by the same factor {factor}",
        "每个值都差了同一个倍数 {factor}",
    ),
    "rows_not_normalised": (
        "rows do not sum to 1 along the last axis: check the `axis` of your sum",
        "各行沿最后一个轴的和不是 1：检查你求和时的 `axis`",
    ),
    "not_normalised_along": (
        "the values do not sum to 1 along axis {axis} (they do along axis {other}): "
        "check the `axis` of your sum",
        "沿轴 {axis} 的和不是 1（沿轴 {other} 的和却是 1）：检查你求和时的 `axis`",
    ),
    "log_rows_not_normalised": (
        "exp of each row does not sum to 1 along the last axis: check the `axis` of your sum",
        "每行取 exp 后沿最后一个轴的和不是 1：检查你求和时的 `axis`",
    ),
    "log_not_normalised_along": (
        "exp of the values does not sum to 1 along axis {axis} (it does along axis {other}): "
        "check the `axis` of your sum",
        "取 exp 后沿轴 {axis} 的和不是 1（沿轴 {other} 的和却是 1）：检查你求和时的 `axis`",
    ),
    "summed_not_averaged": (
        "summed over axis {axis} where the answer averages over it: use np.mean there, not np.sum",
        "在轴 {axis} 上求了和，而答案在这个轴上取平均：这里应该用 np.mean，而不是 np.sum",
    ),
    "averaged_not_summed": (
        "averaged over axis {axis} where the answer sums over it: use np.sum there, not np.mean",
        "在轴 {axis} 上取了平均，而答案在这个轴上求和：这里应该用 np.sum，而不是 np.mean",
    ),
    "summed_everywhere": (
        "summed where the answer averages: use np.mean, not np.sum",
        "求了和，而答案是取平均：应该用 np.mean，而不是 np.sum",
    ),
    "averaged_everywhere": (
        "averaged where the answer sums: use np.sum, not np.mean",
        "取了平均，而答案是求和：应该用 np.sum，而不是 np.mean",
    ),
    "not_reduced": (
        "not reduced over axis {axis}: the answer also takes {op} over that axis",
        "没有在轴 {axis} 上归约：答案还要在这个轴上取 {op}",
    ),
    "reductions_exchanged": (
        "the reductions are on the wrong axes: the answer takes {first} over axis {a} "
        "and {second} over axis {b}",
        "归约用错了轴：答案是在轴 {a} 上取 {first}，在轴 {b} 上取 {second}",
    ),
    "wrong_axes": (
        "computed over axes {got}, not {expected}: check the axes you reduce or slide over",
        "是在轴 {got} 上计算的，而不是 {expected}：检查你归约或滑动所沿的轴",
    ),
    # ---------------------------------------------------------------- sandbox (client.py)
    "not_implemented": (
        "`{name}` is not implemented yet (it raises NotImplementedError)",
        "`{name}` 还没有实现（它仍然抛出 NotImplementedError）",
    ),
    "raised": ("`{name}` raised {kind}: {message}", "`{name}` 抛出了 {kind}：{message}"),
    "raised_bare": ("`{name}` raised {kind}", "`{name}` 抛出了 {kind}"),
    "import_failed": (
        "{file} could not be imported: {kind}: {message}",
        "{file} 无法导入：{kind}：{message}",
    ),
    "module_unreadable": ("{file} could not be read: {reason}", "无法读取 {file}：{reason}"),
    "uncheckable": (
        "`{name}` returned something that cannot be checked: {message}",
        "`{name}` 返回了无法检查的值：{message}",
    ),
    "out_of_memory": (
        "`{name}` ran out of memory (MemoryError)",
        "`{name}` 内存不足（MemoryError）",
    ),
    "garbled": (
        "`{name}` sent back garbled data: {problem}",
        "`{name}` 发回的数据无法解析：{problem}",
    ),
    "malformed_answer": (
        "the worker sent a malformed answer: {problem}",
        "运行你代码的进程发回了格式错误的答复：{problem}",
    ),
    # submission.py: a module that does not compile, known before any worker starts
    "syntax_error": (
        "{file}, line {line}: {kind}: {message}",
        "{file} 第 {line} 行：{kind}：{message}",
    ),
    "at_line_in": (
        "  at line {line}, in {function}: {code}",
        "  位置：第 {line} 行，{function} 中：{code}",
    ),
    "at_line": ("  at line {line}: {code}", "  位置：第 {line} 行：{code}"),
    # the same, when a worker imported several modules (a capstone)
    "at_file_line_in": (
        "  at {file} line {line}, in {function}: {code}",
        "  位置：{file} 第 {line} 行，{function} 中：{code}",
    ),
    "at_file_line": ("  at {file} line {line}: {code}", "  位置：{file} 第 {line} 行：{code}"),
    "missing_name": ("{file} does not define `{name}`", "{file} 没有定义 `{name}`"),
    "typed_at_prompt_row": (
        "`{name}` was typed at the >>> prompt: it cannot be graded (see below)",
        "`{name}` 是在 >>> 提示符下输入的：无法评分（见下文）",
    ),
    "typed_at_prompt": (
        "functions typed at the >>> prompt cannot be graded (Python keeps no source code for "
        "them): {names}. Put them in a Jupyter notebook cell and run "
        "`check({number}, namespace=globals())` there, or save them in your {file} and grade "
        "that file with `check({number})` or `grade exercise {number}`.",
        "在 >>> 提示符下输入的函数无法评分（Python 不保存它们的源代码）：{names}。"
        "请把它们写进 Jupyter 笔记本的单元格，并在那里运行 `check({number}, namespace=globals())`；"
        "或者把它们保存到你的 {file} 里，用 `check({number})` 或 `grade exercise {number}` "
        "为这个文件评分。",
    ),
    # before "timed_out", whose {what} would match it too (the first entry that matches wins)
    "import_timed_out": (
        "importing your module did not finish within {limit} s (an endless loop?)",
        "导入你的模块没有在 {limit} 秒内完成（死循环？）",
    ),
    "timed_out": (
        "{what} did not finish within {limit} s (an endless loop?)",
        "{what} 没有在 {limit} 秒内完成（死循环？）",
    ),
    "forbidden_call": (
        "your code tried to import {names}: exercises use NumPy only",
        "你的代码试图导入 {names}：练习只能使用 NumPy",
    ),
    # the worker died: {when} and {how} are sentences of their own (below), translated too
    "crashed": ("your code's process died {when}: {how}", "你的代码的进程{when}终止了：{how}"),
    "while_importing": ("while importing your module", "在导入你的模块时"),
    "during_call": ("during `{name}`", "在运行 `{name}` 时"),
    "receiving_inputs": ("while receiving its inputs", "在接收输入时"),
    "exit_no_answer": ("stopped answering", "它不再应答"),
    "exit_memory": (
        "it went over its memory limit of {mib} MiB (all its processes together)",
        "它超出了 {mib} MiB 的内存上限（它的所有进程合计）",
    ),
    "exit_killed": (
        "it was killed (likely over its memory or CPU limit)",
        "它被强行终止了（可能超出了内存或 CPU 上限）",
    ),
    "exit_cpu": ("it used up its CPU time limit", "它用完了 CPU 时间上限"),
    "exit_output": ("it wrote more output than allowed", "它写出的输出超过了允许的大小"),
    "exit_segfault": ("it crashed (segmentation fault)", "它崩溃了（段错误）"),
    "exit_signal": ("it was ended by {signal}", "它被 {signal} 终止了"),
    "exit_code": (
        "it exited with code {code} (does your code call exit or os._exit?)",
        "它以退出码 {code} 退出了（你的代码是否调用了 exit 或 os._exit？）",
    ),
    "last_output": ("last output:", "最后的输出："),
    # ---------------------------------------------------------------- runner.py, collector.py
    "exercise_time_spent": (
        "the exercise's time limit of {limit} s was reached during this check, so it was "
        "stopped (the checks after it are not run)",
        "本练习 {limit} 秒的时间上限在这项检查中用完了，所以它被停止了（之后的检查不会运行）",
    ),
    "check_share_spent": (
        "this check used its share of the exercise's time ({share} s of {limit} s) and was "
        "stopped: your code is slow here (a loop over elements, or a sleep?)",
        "这项检查用完了它在本练习时间中的份额（{limit} 秒中的 {share} 秒），已被停止："
        "你的代码在这里很慢（逐个元素的循环，还是 sleep？）",
    ),
    "not_run_over_time": (
        "not run: the exercise used its whole time limit ({used} s of {limit} s)",
        "未运行：本练习已用完全部时间上限（{limit} 秒中的 {used} 秒）",
    ),
    "nondeterministic": (
        "your code gave a different result when the same input was tried again: the answer "
        "must depend only on the arguments (no unseeded randomness, no state kept between calls)",
        "同一个输入再试一次时，你的代码给出了不同的结果：答案只能取决于参数"
        "（不要用未设种子的随机数，也不要在两次调用之间保留状态）",
    ),
    "first_time": ("the first time:", "第一次："),  # the first failure follows, line by line
    "failing_input": ("failing input: {example}", "出错的输入：{example}"),
    "internal_error": (
        "internal error in the grader's check: {error}",
        "评分程序的检查内部出错：{error}",
    ),
    "forbidden_module": (
        "{file} imports {names}: exercises must be written with NumPy only, so this exercise "
        "earns 0 points",
        "{file} 导入了 {names}：练习只能用 NumPy 完成，所以本练习得 0 分",
    ),
    # ---------------------------------------------------------------- capstone.py
    "needs_one": (
        "your network needs {names} (exercise {number}), which is not implemented yet",
        "你的网络需要 {names}（练习 {number}），但它还没有实现",
    ),
    "needs_several": (
        "your network needs {names} (exercise {number}), which are not implemented yet",
        "你的网络需要 {names}（练习 {number}），但它们还没有实现",
    ),
    "needs_header": (
        "your network needs functions of exercises {numbers} that are not ready yet; "
        "finish those first:",
        "你的网络需要练习 {numbers} 中尚未完成的函数；请先完成这些练习：",
    ),
    "needs_not_implemented": (
        "  exercise {number}: {names}, not implemented yet",
        "  练习 {number}：{names}，还没有实现",
    ),
    "needs_not_defined": (
        "  exercise {number}: {names}, not defined in {file}",
        "  练习 {number}：{file} 中没有定义 {names}",
    ),
    "needs_no_module": (
        "  exercise {number}: {names}, but {file} is not in your folder",
        "  练习 {number}：需要 {names}，但你的文件夹里没有 {file}",
    ),
    "training_not_implemented": (
        "one of your functions raised NotImplementedError during training: "
        "a part of it is not written yet",
        "训练时你的某个函数抛出了 NotImplementedError：它还有部分没有写完",
    ),
    # ---------------------------------------------------------------- report.py
    "reproduce": (
        "to reproduce it, paste these lines into Python started in your module's folder:",
        "要复现它，在你的模块所在的文件夹里启动 Python，粘贴下面几行：",
    ),
    "hint": ("hint: {hint}", "提示：{hint}"),
    "hint_line": ("Hint: {hint}", "提示：{hint}"),
    "title": ("Exercise {number}: {title}", "练习 {number}：{title}"),
    "score": (
        "Score: {score}/{max_score}  ({seconds} s)",
        "得分：{score}/{max_score}（{seconds} 秒）",
    ),
    "wrote": ("wrote {path}", "已写入 {path}"),
    "same_as_above": ("(same as above)", "（同上）"),
    "column_check": ("check", "检查"),
    "column_points": ("points", "分数"),
    "column_status": ("status", "状态"),
    "column_message": ("message", "说明"),
    "status_passed": ("passed", "通过"),
    "status_failed": ("failed", "未通过"),
    "status_error": ("error", "出错"),
    "status_timeout": ("timeout", "超时"),
    "status_skipped": ("not run", "未运行"),
    # ---------------------------------------------------------------- batch.py (gradebook)
    "no_modules": ("no exercise modules found", "没有找到任何练习模块"),
    "modules_missing": ("not found: {files}", "没有找到：{files}"),
    # instructor/batch/html.py: the class page and the students' pages (also status_*, column_*)
    "status_graded": ("graded", "已评分"),
    "page_students": ("students", "学生"),
    "page_student_table": ("Students", "学生"),
    "page_student": ("student", "学生"),
    "page_errors": ("could not be graded", "无法评分"),
    "page_mean": ("mean", "平均"),
    "page_median": ("median", "中位数"),
    "page_min": ("min", "最低"),
    "page_max": ("max", "最高"),
    "page_total": ("total", "总分"),
    "page_exercise": ("Exercise", "练习"),
    "page_distributions": ("Score distribution per exercise", "各练习得分分布"),
    "page_full_marks": ("full marks", "满分"),
    "page_of": ("of", "/"),
    "page_range": ("{low} ≤ score < {high}", "{low} ≤ 得分 < {high}"),
    "page_most_failed": ("Checks most students fail", "最多学生未通过的检查"),
    "page_failed_by": ("students who failed it", "未通过人数"),
    "page_share": ("of those graded", "占已评分"),
    "page_none_failed": (
        "Every graded student passed every check.",
        "所有已评分的学生都通过了全部检查。",
    ),
    "page_message": ("message", "信息"),
    "page_error_counts_zero": (
        "A submission that could not be graded counts as 0 on each exercise.",
        "无法评分的提交在每个练习上记 0 分。",
    ),
    "page_back": ("class report", "全班报告"),
    "page_duration": ("time", "用时"),
    "page_submission": ("submission", "提交"),
    "page_grader": ("grader", "评分器"),
    "page_isolation": ("isolation", "隔离"),
    "page_artifacts": ("files written", "生成的文件"),
    "page_hidden": ("hidden", "隐藏"),
    "page_hidden_details": ("details of hidden checks are not shown", "隐藏检查不显示详细信息"),
    "page_no_exercises": ("No exercise was graded.", "没有评分的练习。"),
    "page_no_students": ("No students.", "没有学生。"),
    # ---------------------------------------------------------------- hints, progress, watch
    "hint_header": (
        "Exercise {number}: {title}, hint {shown} of {total}",
        "练习 {number}：{title}，提示 {shown}/{total}",
    ),
    "hint_more": (
        "{left} more: run `grade hint {number}` again",
        "还有 {left} 条：再次运行 `grade hint {number}`",
    ),
    "hint_all_shown": ("all {total} hints are shown", "全部 {total} 条提示都已显示"),
    "hint_reset": (
        "the hints of exercise {number} are hidden again",
        "练习 {number} 的提示已重新隐藏",
    ),
    "list_title": ("nnlab exercises", "nnlab 练习"),
    "column_exercise": ("exercise", "练习"),
    "column_file": ("file", "文件"),
    "column_best": ("best/points", "最好成绩/满分"),
    "missing": ("missing", "缺失"),
    "ready": ("ready", "可评分"),
    "not_available": ("not available yet", "尚未开放"),
    "next": ("next to do", "下一个"),
    "progress_unreadable": (
        "{path} could not be read ({error}): starting a fresh progress file",
        "无法读取 {path}（{error}）：将重新记录进度",
    ),
    "reset_done": (
        "restored the stub of exercise {number} into {file}; your version is saved as {backup}",
        "已把练习 {number} 的初始代码恢复到 {file}；你的版本已保存为 {backup}",
    ),
    "reset_fresh": (
        "restored the stub of exercise {number} into {file}",
        "已把练习 {number} 的初始代码恢复到 {file}",
    ),
    "reset_already": (
        "{file} is already the untouched stub of exercise {number}: there is nothing to reset",
        "{file} 已经是练习 {number} 未改动的初始代码：无需重置",
    ),
    "reset_no_folder": (
        "{folder} is not a folder: there is no exercise file to reset there",
        "{folder} 不是文件夹：那里没有可以重置的练习文件",
    ),
    "no_stub": (
        "the kit has no stub for exercise {number} ({file}): neither solutions/ nor "
        "grader/pristine/ holds it",
        "课程中没有练习 {number} 的初始代码（{file}）：solutions/ 和 grader/pristine/ 中都没有",
    ),
    "watching": (
        "watching {file}: save it to grade again, `grade hint {number}` for a hint, Ctrl-C to stop",
        "正在监视 {file}：保存即重新评分，`grade hint {number}` 查看提示，Ctrl-C 退出",
    ),
    "grading": ("grading exercise {number}...", "正在为练习 {number} 评分……"),
    "grading_check": (
        "grading exercise {number}: check {done}/{total}, {check}",
        "正在为练习 {number} 评分：检查 {done}/{total}，{check}",
    ),
    "grading_training": (
        "grading exercise {number}: training your network (your own functions)",
        "正在为练习 {number} 评分：训练你的网络（用你自己的函数）",
    ),
    "moved_on": (
        "Exercise {number} passes ({score}/{max_score}). On to exercise {next}!",
        "练习 {number} 全部通过（{score}/{max_score}）。进入练习 {next}！",
    ),
    "course_done": (
        "Every exercise passes: you have built the whole network. Well done!",
        "所有练习都已通过：你已经亲手搭建了整个网络。干得漂亮！",
    ),
    "stopped": ("stopped watching", "已停止监视"),
    # ---------------------------------------------------------------- cli.py, runner.py, batch.py
    "interrupted": (
        "interrupted: grading stopped; no score was recorded and no report was written",
        "已中断：评分已停止；没有记录分数，也没有写入报告",
    ),
    "unknown_lang": (
        "NNLAB_LANG={value} is not a language nnlab has: {langs}; using en",
        "NNLAB_LANG={value} 不是 nnlab 支持的语言：{langs}；将使用 en",
    ),
    "no_exercise": (
        "there is no exercise {number}; the course has exercises {known}",
        "没有练习 {number}；课程中的练习是 {known}",
    ),
    "exercise_not_available": (
        "exercise {number} ({title}) is not available yet",
        "练习 {number}（{title}）尚未开放",
    ),
    "exercise_absent": (
        "exercise {numbers} does not exist; there are {known}",
        "练习 {numbers} 不存在；现有的练习是 {known}",
    ),
    "exercises_absent": (
        "exercises {numbers} do not exist; there are {known}",
        "练习 {numbers} 不存在；现有的练习是 {known}",
    ),
    "output_unwritable": (
        "cannot write the report to {path}: {reason}",
        "无法把报告写入 {path}：{reason}",
    ),
}


def text(key: str, lang: str = "en", **fields) -> str:
    """The catalogue entry `key` in `lang` ("en" or "zh"), formatted with `fields`."""
    english, chinese = CATALOGUE[key]
    return (chinese if lang == "zh" else english).format(**fields)


def translate(message: str, lang: str) -> str:
    """`message` with every line that matches a catalogue entry put into `lang`.

    Lines that match no entry (the check-specific sentences, numbers) are kept.
    """
    if lang != "zh" or not message:
        return message
    return "\n".join(_translate_line(line) for line in message.split("\n"))


_NESTED_FIELDS = frozenset({"mistake", "when", "how"})
"""Fields that hold another catalogue sentence (an item of a list of mistakes; when and
how a sandboxed worker died)."""


def _translate_line(line: str) -> str:
    for _, pattern, chinese in _patterns():
        match = pattern.fullmatch(line)
        if match:
            fields = match.groupdict()
            for name in _NESTED_FIELDS & fields.keys():
                fields[name] = _translate_line(fields[name])
            return chinese.format(**fields)
    return line


def keys_in(message: str) -> list[str]:
    """The catalogue keys whose English template a line of `message` is, in order of
    the lines (an item of a list of mistakes counts with the mistake it names)."""
    keys: list[str] = []
    for line in message.split("\n"):
        for key, pattern, _ in _patterns():
            match = pattern.fullmatch(line)
            if match:
                keys.append(key)
                for name in [n for n in match.groupdict() if n in _NESTED_FIELDS]:  # in order
                    keys.extend(keys_in(match.group(name)))
                break
    return keys


@cache
def _patterns() -> tuple[tuple[str, re.Pattern, str], ...]:
    """Each entry's key, its English template as a regular expression, its Chinese template."""
    compiled = []
    for key, (english, chinese) in CATALOGUE.items():
        parts, seen = [], set()
        for literal, field, _, _ in string.Formatter().parse(english):
            parts.append(re.escape(literal))
            if field is None:
                continue
            parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.*?)")
            seen.add(field)
        compiled.append((key, re.compile("".join(parts)), chinese))
    return tuple(compiled)


def resolve_lang(lang: str | None = None) -> str:
    """The language to speak: `lang` if given, else $NNLAB_LANG, else the locale's.

    The locale's is "zh" when the first set of LC_ALL, LC_MESSAGES, LANG
    starts with "zh" (e.g. zh_CN.UTF-8), else "en".
    """
    for choice in (lang, os.environ.get("NNLAB_LANG")):
        if choice:
            return choice if choice in LANGS else "en"
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def grading_status(number: int, done: int, total: int, check: str, lang: str = "en") -> str:
    """The spinner's line while check number `done` (from 0) of `total` runs: its name in `lang`."""
    name = check_name(check, lang)
    return text("grading_check", lang, number=number, done=done + 1, total=total, check=name)


def check_name(name: str, lang: str = "en") -> str:
    """How the terminal names check `name` (its function's name without `test_`) in `lang`:
    underscores as spaces in English, CHECK_NAMES_ZH's entry in Chinese (else the English)."""
    english = name.replace("_", " ")
    return CHECK_NAMES_ZH.get(name, english) if lang == "zh" else english


CHECK_NAMES_ZH: dict[str, str] = {
    # ---------------------------------------------------------------- exercise 1
    "one_hot_matches_keras_to_categorical": "one_hot 与 Keras 的 to_categorical 一致",
    "one_hot_of_label_3_of_5_classes": "5 个类别中标签 3 的 one_hot",
    "scale_pixels_gives_float32_in_unit_range": "scale_pixels 返回 [0, 1] 区间内的 float32",
    "flatten_matches_keras_flatten": "flatten 与 Keras 的 Flatten 一致",
    "nhwc_to_nchw_matches_tf_transpose": "nhwc_to_nchw 与 tf.transpose 一致",
    "nchw_to_nhwc_matches_tf_transpose": "nchw_to_nhwc 与 tf.transpose 一致",
    "minibatches_cover_every_index_once": "minibatches 恰好覆盖每个下标一次",
    "minibatches_are_shuffled_by_rng": "minibatches 用 rng 打乱顺序",
    # ---------------------------------------------------------------- exercise 2
    "step_is_one_where_positive": "step 在正数处为 1",
    "relu_matches_tensorflow": "relu 与 TensorFlow 一致",
    "sigmoid_matches_tensorflow": "sigmoid 与 TensorFlow 一致",
    "sigmoid_is_stable_for_huge_inputs": "sigmoid 对极大的输入保持数值稳定",
    "tanh_matches_tensorflow": "tanh 与 TensorFlow 一致",
    "relu_backward_matches_gradient_tape": "relu_backward 与 GradientTape 一致",
    "relu_gradient_at_zero_is_zero": "relu 在 0 处的梯度为 0",
    "sigmoid_backward_matches_gradient_tape": "sigmoid_backward 与 GradientTape 一致",
    "tanh_backward_matches_gradient_tape": "tanh_backward 与 GradientTape 一致",
    # ---------------------------------------------------------------- exercise 3
    "softmax_matches_tensorflow": "softmax 与 TensorFlow 一致",
    "softmax_along_axis_0": "沿轴 0 的 softmax",
    "softmax_is_stable_for_logits_of_1e4": "softmax 对 1e4 量级的 logits 保持数值稳定",
    "log_softmax_matches_tensorflow": "log_softmax 与 TensorFlow 一致",
    "log_softmax_along_axis_0": "沿轴 0 的 log_softmax",
    "categorical_crossentropy_matches_keras": "categorical_crossentropy 与 Keras 一致",
    "categorical_crossentropy_normalises_before_clipping": (
        "categorical_crossentropy 先归一化再裁剪"
    ),
    "categorical_crossentropy_clips_predictions_of_0_and_1": (
        "categorical_crossentropy 裁剪等于 0 和 1 的预测"
    ),
    "sparse_categorical_crossentropy_matches_keras": (
        "sparse_categorical_crossentropy 与 Keras 一致"
    ),
    "sparse_categorical_crossentropy_clips_before_normalising": (
        "sparse_categorical_crossentropy 先裁剪再归一化"
    ),
    "loss_uses_the_natural_log": "损失使用自然对数",
    "softmax_cross_entropy_loss_matches_tensorflow": (
        "softmax_cross_entropy 的损失与 TensorFlow 一致"
    ),
    "softmax_cross_entropy_is_stable_for_large_logits": (
        "softmax_cross_entropy 对很大的 logits 保持数值稳定"
    ),
    "softmax_cross_entropy_gradient_matches_gradient_tape": (
        "softmax_cross_entropy 的梯度与 GradientTape 一致"
    ),
    "sse_worked_example": "sse 的计算示例",
    "sse_matches_tensorflow": "sse 与 TensorFlow 一致",
    "mse_matches_keras": "mse 与 Keras 一致",
    "mse_backward_matches_gradient_tape": "mse_backward 与 GradientTape 一致",
    # ---------------------------------------------------------------- exercise 4
    "dense_forward_matches_tensorflow": "dense_forward 与 TensorFlow 一致",
    "dense_forward_worked_example": "dense_forward 的计算示例",
    "dense_backward_input_gradient_matches_gradient_tape": (
        "dense_backward 的输入梯度与 GradientTape 一致"
    ),
    "dense_backward_weight_gradient_matches_gradient_tape": (
        "dense_backward 的权重梯度与 GradientTape 一致"
    ),
    "dense_backward_bias_gradient_is_summed_over_the_batch": "dense_backward 的偏置梯度沿批次求和",
    "dense_param_count_is_weights_plus_biases": "dense_param_count 等于权重数加偏置数",
    "mlp_param_count_of_the_mnist_network_matches_keras_summary": (
        "MNIST 网络的 mlp_param_count 与 Keras 的 summary 一致"
    ),
    "mlp_param_count_adds_up_every_layer": "mlp_param_count 累加每一层的参数",
    # ---------------------------------------------------------------- exercise 5
    "conv_output_size_matches_tensorflow": "conv_output_size 与 TensorFlow 一致",
    "conv_output_size_worked_examples": "conv_output_size 的计算示例",
    "conv_output_size_rejects_unknown_padding": "conv_output_size 拒绝未知的填充方式",
    "same_padding_follows_tensorflows_rule": "same_padding 遵循 TensorFlow 的规则",
    "same_padding_worked_examples": "same_padding 的计算示例",
    "vertical_edge_kernel_finds_the_edge": "竖直边缘卷积核找到边缘",
    "conv2d_forward_with_valid_padding_matches_tensorflow": (
        "VALID 填充的 conv2d_forward 与 TensorFlow 一致"
    ),
    "conv2d_forward_with_same_padding_matches_tensorflow": (
        "SAME 填充的 conv2d_forward 与 TensorFlow 一致"
    ),
    "conv2d_forward_with_a_kernel_larger_than_the_image": "卷积核大于图像时的 conv2d_forward",
    "conv2d_forward_defaults_to_stride_1_and_valid_padding": (
        "conv2d_forward 默认步长为 1、VALID 填充"
    ),
    "conv2d_param_count_of_rgb_filters_matches_keras": (
        "RGB 卷积核的 conv2d_param_count 与 Keras 一致"
    ),
    "conv2d_param_count_is_weights_plus_one_bias_per_filter": (
        "conv2d_param_count 等于权重数加上每个卷积核一个偏置"
    ),
    "conv2d_forward_is_vectorised": "conv2d_forward 已向量化",
    # ---------------------------------------------------------------- exercise 6
    "max_pool_forward_matches_tensorflow": "max_pool_forward 与 TensorFlow 一致",
    "avg_pool_forward_with_valid_padding_matches_tensorflow": (
        "VALID 填充的 avg_pool_forward 与 TensorFlow 一致"
    ),
    "avg_pool_forward_with_same_padding_averages_only_real_cells": (
        "SAME 填充的 avg_pool_forward 只对真实的单元求平均"
    ),
    "pooling_a_4x4_image_with_2x2_windows": "用 2x2 窗口池化 4x4 图像",
    "pooling_stride_defaults_to_the_pool_size": "池化步长默认等于窗口大小",
    "max_pool_backward_matches_gradient_tape": "max_pool_backward 与 GradientTape 一致",
    "max_pool_backward_gives_a_tied_window_to_its_first_maximum": (
        "max_pool_backward 把有并列最大值的窗口的梯度给第一个最大值"
    ),
    "max_pool_backward_with_ties_matches_gradient_tape": (
        "有并列最大值时 max_pool_backward 与 GradientTape 一致"
    ),
    "avg_pool_backward_matches_gradient_tape": "avg_pool_backward 与 GradientTape 一致",
    "avg_pool_backward_with_a_window_larger_than_the_image": "窗口大于图像时的 avg_pool_backward",
    # ---------------------------------------------------------------- exercise 7
    "conv2d_backward_input_gradient_matches_gradient_tape": (
        "conv2d_backward 的输入梯度与 GradientTape 一致"
    ),
    "conv2d_backward_filter_gradient_matches_gradient_tape": (
        "conv2d_backward 的卷积核梯度与 GradientTape 一致"
    ),
    "conv2d_backward_bias_gradient_is_summed_over_batch_and_positions": (
        "conv2d_backward 的偏置梯度沿批次和位置求和"
    ),
    "conv2d_backward_with_a_kernel_larger_than_the_image": "卷积核大于图像时的 conv2d_backward",
    "conv2d_backward_small_worked_example": "conv2d_backward 的小型计算示例",
    "numerical_gradient_matches_the_analytic_gradient": "numerical_gradient 与解析梯度一致",
    "numerical_gradient_uses_central_differences_with_the_given_h": (
        "numerical_gradient 用给定的 h 做中心差分"
    ),
    "numerical_gradient_leaves_x_exactly_as_it_was": "numerical_gradient 让 x 保持原样",
    "conv2d_backward_is_vectorised": "conv2d_backward 已向量化",
    # ---------------------------------------------------------------- exercise 8
    "dropout_keeps_each_unit_with_probability_1_minus_rate": (
        "dropout 以 1 - rate 的概率保留每个单元"
    ),
    "dropout_scales_kept_units_by_1_over_1_minus_rate": "dropout 把保留的单元乘以 1 / (1 - rate)",
    "dropout_at_inference_passes_x_through": "推理时 dropout 原样输出 x",
    "dropout_with_rate_1_drops_every_unit": "rate 为 1 时 dropout 丢弃所有单元",
    "dropout_keeps_the_units_whose_draw_is_at_least_rate": "dropout 保留随机数不小于 rate 的单元",
    "dropout_draws_its_mask_from_rng": "dropout 用 rng 生成掩码",
    "dropout_backward_multiplies_by_the_mask": "dropout_backward 乘以掩码",
    "fans_match_keras": "fans 与 Keras 一致",
    "glorot_uniform_stays_within_its_limit": "glorot_uniform 不超出它的界限",
    "glorot_uniform_is_spread_evenly_over_its_range": "glorot_uniform 在它的范围内均匀分布",
    "he_normal_is_truncated_at_two_standard_deviations": "he_normal 在两个标准差处截断",
    "he_normal_has_standard_deviation_sqrt_2_over_fan_in": "he_normal 的标准差为 sqrt(2 / fan_in)",
    "initialisers_draw_from_rng": "初始化函数用 rng 抽样",
    "l2_penalty_matches_tensorflow": "l2_penalty 与 TensorFlow 一致",
    "l2_penalty_gradients_match_gradient_tape": "l2_penalty 的梯度与 GradientTape 一致",
    "l2_penalty_worked_example": "l2_penalty 的计算示例",
    # ---------------------------------------------------------------- exercise 9
    "gradient_descent_worked_example": "梯度下降的计算示例",
    "gradient_descent_step_matches_keras_sgd": "gradient_descent_step 与 Keras 的 SGD 一致",
    "momentum_step_matches_keras_sgd_with_momentum": "momentum_step 与带动量的 Keras SGD 一致",
    "nesterov_momentum_matches_keras_sgd_with_nesterov": (
        "Nesterov 动量与带 nesterov 的 Keras SGD 一致"
    ),
    "rmsprop_step_matches_keras_rmsprop": "rmsprop_step 与 Keras 的 RMSprop 一致",
    "rmsprop_with_tiny_gradients_puts_epsilon_inside_the_root": (
        "梯度极小时 rmsprop 把 epsilon 放在平方根里面"
    ),
    "adam_step_matches_keras_adam": "adam_step 与 Keras 的 Adam 一致",
    "adam_with_tiny_gradients_matches_keras": "梯度极小时 adam 与 Keras 一致",
    "exponential_decay_matches_keras_schedule": "exponential_decay 与 Keras 的学习率调度一致",
    "exponential_decay_worked_example": "exponential_decay 的计算示例",
    "step_functions_do_not_change_their_inputs": "更新函数不修改它们的输入",
    "each_parameter_keeps_its_own_state": "每个参数保留自己的状态",
    "step_functions_default_to_keras_settings": "更新函数的默认设置与 Keras 相同",
    "step_states_hold_what_keras_optimizers_keep": "更新函数的状态保存 Keras 优化器保存的内容",
    # ---------------------------------------------------------------- exercise 10
    "ols_matches_least_squares_on_boston_rooms": "在波士顿房间数数据上 OLS 与最小二乘一致",
    "ols_matches_polyfit_on_small_data": "在小数据上 OLS 与 polyfit 一致",
    "gd_with_default_settings_ends_within_1pct_of_the_ols_loss": (
        "默认设置的梯度下降最终损失与 OLS 相差不到 1%"
    ),
    "gd_predicts_prices_for_3_to_7_rooms_like_ols": "梯度下降对 3 到 7 个房间的房价预测与 OLS 相同",
    "gd_losses_one_per_epoch_ending_at_the_mse_of_the_line": (
        "梯度下降每轮记录一个损失，最后一个等于这条直线的 mse"
    ),
    "gd_with_rng_none_steps_like_keras_on_the_same_batches": (
        "rng 为 None 时梯度下降在相同批次上与 Keras 同步"
    ),
    # ---------------------------------------------------------------- exercise 11
    "weights_have_keras_shapes": "权重的形状与 Keras 一致",
    "forward_gives_probabilities_matching_tensorflow": "forward 给出的概率与 TensorFlow 一致",
    "forward_and_loss_stay_finite_for_large_scores": "分数很大时 forward 和 loss 仍是有限值",
    "predict_gives_the_most_probable_class": "predict 给出概率最大的类别",
    "loss_matches_tensorflow": "loss 与 TensorFlow 一致",
    "gradients_match_gradient_tape": "梯度与 GradientTape 一致",
    "gradients_agree_with_a_numerical_gradient": "梯度与数值梯度吻合",
    "train_step_returns_the_loss_before_the_update": "train_step 返回更新前的损失",
    "train_returns_each_epochs_mean_batch_loss": "train 返回每轮各批次损失的平均值",
    "initial_weights_are_he_normal_float64_drawn_from_rng": (
        "初始权重是用 rng 抽取的 float64 He 正态分布"
    ),
    "train_step_moves_each_weight_by_minus_lr_times_its_gradient": (
        "train_step 让每个权重移动 -lr 乘以它的梯度"
    ),
    "trained_net_gets_99_percent_of_fresh_points_right": "训练后的网络对新数据点的正确率达到 99%",
    "trained_net_puts_2_2_in_quadrant_one": "训练后的网络把 (2, 2) 分到第一象限",
    # ---------------------------------------------------------------- capstones (12-15)
    "network_and_training_settings_are_valid": "网络与训练设置有效",
    "parameter_count_matches_the_same_model_in_keras": "参数个数与 Keras 中的同一模型一致",
    "test_accuracy_reaches_the_bar": "测试准确率达到要求",
    "the_same_network_in_keras_for_comparison": "同一网络在 Keras 中训练，用于对比",
}
"""The Chinese name of every check, keyed by its name (the test function's, without
`test_`); tests/engine/test_check_names.py holds it to the check files."""
