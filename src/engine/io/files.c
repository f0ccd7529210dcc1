/* files.c: the engine's rules for input and output files (see files.h). */
#define _POSIX_C_SOURCE 200809L
#include "io/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PATH_SIZE = 4096 };

/* What a file that is not regular is, for messages. */
static const char *kind_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

/* The reason a file of `mode` is not an input ("Is a directory", as the
 * system says it, or "not a regular file (a FIFO)"). */
static void not_regular(mode_t mode, char *why, size_t size) {
  if (S_ISDIR(mode)) snprintf(why, size, "%s", strerror(EISDIR));
  else snprintf(why, size, "not a regular file (%s)", kind_name(mode));
}

int pt_file_input_ok(const char *path, char *why, size_t size) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    snprintf(why, size, "%s", strerror(errno));
    return 0;
  }
  if (!S_ISREG(sb.st_mode)) {
    not_regular(sb.st_mode, why, size);
    return 0;
  }
  return 1;
}

FILE *pt_file_open_input(const char *path, char *why, size_t size) {
  if (!pt_file_input_ok(path, why, size)) return NULL;
  /* stat and open are two steps: the path may have been replaced between
   * them, so the open descriptor is checked again (and opening a FIFO with
   * O_NONBLOCK returns at once instead of waiting for a writer). */
  const int fd = open(path, O_RDONLY | O_NONBLOCK);
  struct stat sb;
  if (fd < 0 || fstat(fd, &sb) != 0) {
    snprintf(why, size, "%s", strerror(errno));
    if (fd >= 0) close(fd);
    return NULL;
  }
  if (!S_ISREG(sb.st_mode)) {
    not_regular(sb.st_mode, why, size);
    close(fd);
    return NULL;
  }
  const int flags = fcntl(fd, F_GETFL);
  FILE *f = flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ? NULL : fdopen(fd, "rb");
  if (f == NULL) {
    snprintf(why, size, "%s", strerror(errno));
    close(fd);
  }
  return f;
}

pt_status pt_file_check_output(const char *path, const char *what, const char *const *inputs, size_t ninputs,
                               int *exists) {
  if (exists) *exists = 0;
  if (path == NULL || path[0] == '\0') return pt_error(PT_EIO, "the %s name (--out) is empty", what);
  struct stat sb;
  if (stat(path, &sb) == 0) {
    if (exists) *exists = 1;
    if (!S_ISREG(sb.st_mode))
      return pt_error(PT_EIO, "cannot write the %s '%s': it is %s, not a regular file", what, path,
                      kind_name(sb.st_mode));
    for (size_t k = 0; k < ninputs; k++) {
      struct stat ib;
      if (inputs[k] != NULL && inputs[k][0] != '\0' && stat(inputs[k], &ib) == 0 && ib.st_dev == sb.st_dev &&
          ib.st_ino == sb.st_ino)
        return pt_error(PT_EIO, "cannot write the %s '%s': it is the input '%s' (give another --out)", what, path,
                        inputs[k]);
    }
  } else if (errno != ENOENT) {
    return pt_error(PT_EIO, "cannot write the %s '%s': %s", what, path, strerror(errno));
  }
  /* The directory must take new files (the temporary, the lock): found now,
   * not after the work. */
  char probe[PATH_SIZE];
  if ((size_t)snprintf(probe, sizeof probe, "%s.probe.%ld", path, (long)getpid()) >= sizeof probe)
    return pt_error(PT_EIO, "the %s name is too long: '%s'", what, path);
  const int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return pt_error(PT_EIO, "cannot write the %s '%s': %s", what, path, strerror(errno));
  close(fd);
  unlink(probe);
  return PT_OK;
}

pt_file_lock_result pt_file_lock(const char *lock_path, int *fd_out) {
  *fd_out = -1;
  /* A few rounds at most: another holder can remove the file only once per
   * run it finishes. */
  for (int round = 0; round < 100; round++) {
    const int fd = open(lock_path, O_RDWR | O_CREAT, 0644);
    if (fd < 0) return PT_LOCK_FAILED;
    struct flock lk;
    memset(&lk, 0, sizeof lk);
    lk.l_type = F_WRLCK;
    lk.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &lk) != 0) {
      if (errno == EACCES || errno == EAGAIN) {
        close(fd);
        return PT_LOCK_BUSY;
      }
      /* other failures (a filesystem without locks): run unprotected rather than not at all */
      *fd_out = fd;
      return PT_LOCK_HELD;
    }
    /* The holder before us may have removed the file after we opened it:
     * then our lock is on a file nobody else will open. */
    struct stat mine, named;
    if (fstat(fd, &mine) == 0 && stat(lock_path, &named) == 0 && mine.st_dev == named.st_dev &&
        mine.st_ino == named.st_ino) {
      *fd_out = fd;
      return PT_LOCK_HELD;
    }
    close(fd);
  }
  errno = EAGAIN;
  return PT_LOCK_FAILED;
}

void pt_file_unlock(const char *lock_path, int fd, int remove_file) {
  if (fd < 0) return;
  /* removed while still locked: whoever opened it meanwhile sees that it
   * is gone once they get the lock (pt_file_lock) */
  if (remove_file) unlink(lock_path);
  close(fd);
}

/* "<pid>": one or more digits and nothing else. */
static int all_digits(const char *s) {
  if (*s == '\0') return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

void pt_file_remove_temporaries(const char *path) {
  char dcopy[PATH_SIZE], bcopy[PATH_SIZE], victim[PATH_SIZE];
  if ((size_t)snprintf(dcopy, sizeof dcopy, "%s", path) >= sizeof dcopy) return;
  snprintf(bcopy, sizeof bcopy, "%s", path);
  const char *dir = dirname(dcopy), *base = basename(bcopy);
  const size_t len = strlen(base);
  DIR *d = opendir(dir);
  if (d == NULL) return;
  for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
    const char *name = e->d_name;
    if (strncmp(name, base, len) != 0) continue;
    const char *rest = name + len;
    if ((strncmp(rest, ".tmp.", 5) == 0 && all_digits(rest + 5)) ||
        (strncmp(rest, ".probe.", 7) == 0 && all_digits(rest + 7))) {
      if ((size_t)snprintf(victim, sizeof victim, "%s/%s", dir, name) < sizeof victim) unlink(victim);
    }
  }
  closedir(d);
}

pt_status pt_file_write_atomic(const char *path, const void *data, size_t size) {
  char tmp[PATH_SIZE];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp)
    return pt_error(PT_EIO, "the file name is too long: '%s'", path);
  const int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
  if (fd < 0) return pt_error(PT_EIO, "cannot write '%s': %s", path, strerror(errno));
  const char *p = data;
  size_t left = size;
  int err = 0;
  while (left > 0 && err == 0) {
    const ssize_t put = write(fd, p, left);
    if (put > 0) {
      p += put;
      left -= (size_t)put;
    } else if (put < 0 && errno != EINTR) {
      err = errno;
    }
  }
  /* the data reach the disk before the name does: a crash leaves the old
   * file or the new one, never a part */
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && rename(tmp, path) != 0) err = errno;
  if (err != 0) {
    unlink(tmp);
    return pt_error(PT_EIO, "cannot write '%s': %s", path, strerror(err));
  }
  /* the rename itself, durable (its failure cannot undo the rename: not an error) */
  char dcopy[PATH_SIZE];
  snprintf(dcopy, sizeof dcopy, "%s", path);
  const int dfd = open(dirname(dcopy), O_RDONLY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return PT_OK;
}
