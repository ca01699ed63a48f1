import { describeConvergence } from './convergence.js';

describeConvergence('jsm-cw');
