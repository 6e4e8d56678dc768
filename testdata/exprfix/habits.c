/* gdb habits (issue 13): `print arr[1]@3`, character literals printed as `97 'a'`.
 * tests/integration/values/values_habits.sh. */
int arr[6] = {10, 11, 12, 13, 14, 15};
struct pt {
    int x, y;
} pts[3] = {{1, 2}, {3, 4}, {5, 6}};
int main(void)
{
    return arr[0] - 10 + pts[0].x - 1;
}
