/* task/types.h: the table of tasks. A task is one file in this folder
 * defining `const pt_task_type pt_task_NAME` (task/task.h) and one X(NAME)
 * line here; the table and the choices of the task.kind key are both made
 * from this list. */
#ifndef PERTURB_TASK_TYPES_H
#define PERTURB_TASK_TYPES_H

#define PT_TASK_TYPES(X) \
  X(ranking)             \
  X(classification)      \
  X(shortest_path)       \
  X(plugin)

#endif
